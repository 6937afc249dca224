//! Sending requests: a blocking HTTP client with timeouts.

use std::time::Duration;

use super::{Request, Response};

/// Sends one request and returns the platform's answer, whatever its status;
/// `Err` holds a message saying why no answer came (timeout, connection refused).
pub trait Transport: Send + Sync {
    fn send(&self, request: &Request) -> Result<Response, String>;
}

/// HTTP over ureq: rustls for the platforms' https hosts, no redirects (a
/// redirected POST would be sent again elsewhere), any status returned as an answer.
pub struct Http {
    agent: ureq::Agent,
}

/// The longest a single call may take, connecting included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger answers are not API answers.
const MAX_BODY: u64 = 4 * 1024 * 1024;

impl Http {
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(CALL_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("skulint/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Http { agent }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for Http {
    fn send(&self, request: &Request) -> Result<Response, String> {
        let url = request.url();
        let mut builder = match request.method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        }
        .header("content-type", request.body.content_type());
        for header in &request.headers {
            builder = builder.header(header.name.as_str(), header.value.as_str());
        }
        let mut response = builder.send(&request.body.bytes()[..]).map_err(describe)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(describe)?;
        let body = String::from_utf8_lossy(&body).into_owned();
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }
}

/// A transport failure in words the sync-error catalog knows (connection
/// refused or reset, timed out), without the URL (its query holds the token).
fn describe(error: ureq::Error) -> String {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => "the request timed out: no answer from the platform".into(),
        ureq::Error::HostNotFound => "connection failed: host not found".into(),
        ureq::Error::ConnectionFailed => {
            "connection refused: the platform cannot be reached".into()
        }
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => {
                "connection refused: the platform cannot be reached".into()
            }
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                "connection reset before the platform answered".into()
            }
            ErrorKind::UnexpectedEof => "connection closed before the platform answered".into(),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                "the request timed out: no answer from the platform".into()
            }
            _ => format!("connection failed: {}", io.kind()),
        },
        ureq::Error::BodyExceedsLimit(_) => "the answer is too large to be an API answer".into(),
        other => format!("connection failed: {}", strip_urls(&other.to_string())),
    }
}

/// Drops the query of any URL in a message.
fn strip_urls(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            if word.contains("://") {
                word.split('?').next().unwrap_or(word)
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_messages_are_classified_as_transient() {
        for message in [
            "connection refused: the platform cannot be reached",
            "connection reset before the platform answered",
            "connection closed before the platform answered",
            "the request timed out: no answer from the platform",
        ] {
            let d = crate::diagnose::classify(message, None);
            assert!(
                d.recognized && d.cause.retryable,
                "{message}: {}",
                d.cause.id
            );
        }
    }

    #[test]
    fn urls_lose_their_query() {
        assert_eq!(
            strip_urls("bad uri https://h/p?access_token=x here"),
            "bad uri https://h/p here"
        );
    }
}
