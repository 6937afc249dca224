//! What the CLI test files share: the binary, the repository root, and the
//! parts of a finished run. Each file uses some of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn skulint() -> Command {
    Command::cargo_bin("skulint").unwrap()
}

pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {output:?}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}
