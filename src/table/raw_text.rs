//! The text of xlsx cells as it is written, where the spreadsheet reader trims it.
//!
//! calamine 0.38 reads each `<t>` of a string (a shared string `<si>` or an inline
//! string `<is>`, plain or in rich-text runs) and trims its ASCII spaces, tabs, CRs
//! and LFs at both ends unless the `<t>` has `xml:space="preserve"`. Excel and the
//! marketplaces keep that text as written, so `<t>KAOS-HITAM </t>` is a SKU with a
//! trailing space, and `<r><t>KAOS </t></r><r><t> HITAM</t></r>` is `KAOS  HITAM`,
//! which calamine reads as `KAOSHITAM`. Here those texts are read again, untrimmed,
//! and put back in the cells calamine read them into.
//!
//! What it costs: the shared strings part is scanned once per workbook, beside
//! calamine's own reading of it. A worksheet is scanned only when it needs to be:
//! when a shared string calamine trims is found, or when the sheet has inline
//! strings (calamine's values alone cannot tell whether those were trimmed). The
//! scans look at markup bytes; only the few strings whose `<t>` lacks
//! `xml:space="preserve"` and starts or ends with whitespace go through an XML parser.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::patch::{self, Bounded, Layout};

/// A text that calamine reads trimmed, and as it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub read: String,
    pub written: String,
}

/// The shared strings that calamine reads trimmed, by index.
#[derive(Debug, Default)]
pub struct SharedStrings {
    by_index: HashMap<u32, Restored>,
}

impl SharedStrings {
    pub fn is_empty(&self) -> bool {
        self.by_index.is_empty()
    }
}

/// The shared strings that calamine reads trimmed, read where calamine reads
/// them: `sharedStrings.xml` beside the workbook part.
fn shared_strings(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    workbook: &str,
) -> Option<HashMap<u32, Restored>> {
    let folder = workbook.rsplit_once('/').map_or("", |(dir, _)| dir);
    let name = match folder {
        "" => "sharedStrings.xml".to_string(),
        folder => format!("{folder}/sharedStrings.xml"),
    };
    let name = patch::part_name(archive, &name)?;
    let file = archive.by_name(&name).ok()?;
    let size = file.size();
    patch::check_size(&name, size, patch::MAX_STREAMED_PART).ok()?;
    let input = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
    scan_shared_strings(input).ok()
}

/// The items of a shared strings part that calamine reads trimmed, by index.
pub(super) fn scan_shared_strings<R: Read>(input: R) -> io::Result<HashMap<u32, Restored>> {
    let mut found = HashMap::new();
    let mut index: u32 = 0;
    let mut unmarked = Unmarked::default();
    // calamine takes every `<si>` for an item, `<si/>` too.
    walk(input, |step| {
        match step {
            Step::Tag {
                name,
                empty,
                inside: false,
                ..
            } if patch::local(name) == b"si" => {
                if !empty {
                    unmarked = Unmarked::default();
                    return Capture::Element;
                }
                index += 1;
            }
            Step::Element(item) => {
                if unmarked.seen
                    && let Some(restored) = restore(item)
                {
                    found.insert(index, restored);
                }
                index += 1;
            }
            step => unmarked.watch(&step),
        }
        Capture::No
    })?;
    Ok(found)
}

/// An xlsx package as far as restoring its texts needs: its worksheet parts
/// and the shared strings calamine reads trimmed. A package that cannot be read
/// here has nothing restored: calamine's values stand.
pub struct Package<'a> {
    bytes: &'a [u8],
    pub shared: SharedStrings,
    /// Sheet name → worksheet part.
    parts: HashMap<String, String>,
}

impl<'a> Package<'a> {
    pub fn new(bytes: &'a [u8]) -> Package<'a> {
        let mut package = Package {
            bytes,
            shared: SharedStrings::default(),
            parts: HashMap::new(),
        };
        let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
            return package;
        };
        if let Ok(layout) = Layout::read(&mut archive) {
            package.shared.by_index =
                shared_strings(&mut archive, &layout.workbook).unwrap_or_default();
            package.parts = layout.sheets;
        }
        package
    }

    /// Calls `put(row, col, restored)` for every cell of `sheet` whose text
    /// calamine read trimmed. `inline`: whether calamine read inline strings in
    /// it. Nothing is called when the sheet cannot be scanned.
    pub fn restore_sheet(&self, sheet: &str, inline: bool, put: impl FnMut(u32, u32, Restored)) {
        if !inline && self.shared.is_empty() {
            return;
        }
        let Some(part) = self.parts.get(sheet) else {
            return;
        };
        let _ = scan_sheet(self.bytes, part, &self.shared, inline, put);
    }
}

fn scan_sheet(
    package: &[u8],
    part: &str,
    shared: &SharedStrings,
    inline: bool,
    mut put: impl FnMut(u32, u32, Restored),
) -> Option<()> {
    let mut archive = ZipArchive::new(Cursor::new(package)).ok()?;
    let file = archive.by_name(part).ok()?;
    let size = file.size();
    patch::check_size(part, size, patch::MAX_STREAMED_PART).ok()?;
    let input = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
    // The cell position as calamine counts it: a row or cell without `r` follows
    // the one before.
    let mut row: u32 = 0;
    let mut col: u32 = 0;
    let mut cell: Option<((u32, u32), bool)> = None;
    let mut unmarked = Unmarked::default();
    walk(input, |step| {
        match step {
            Step::Tag { inside: true, .. } | Step::End { inside: true, .. } | Step::Other => {
                unmarked.watch(&step);
            }
            Step::Tag {
                name, tag, empty, ..
            } => match patch::local(name) {
                b"row" => {
                    if let Some(n) = attribute(tag, b"r").and_then(row_number) {
                        row = n;
                    }
                    if empty {
                        row += 1;
                        col = 0;
                    }
                }
                b"c" => {
                    // A cell's `r` sets the column the next cells count from, not the row.
                    let position = match attribute(tag, b"r").and_then(cell_position) {
                        Some((r, c)) => {
                            col = c;
                            (r, c)
                        }
                        None => (row, col),
                    };
                    let is_shared = attribute(tag, b"t") == Some(b"s");
                    if empty {
                        col += 1;
                    } else {
                        cell = Some((position, is_shared));
                    }
                }
                b"is" if inline && !empty && cell.is_some() => {
                    unmarked = Unmarked::default();
                    return Capture::Element;
                }
                b"v" if !empty && !shared.is_empty() && matches!(cell, Some((_, true))) => {
                    return Capture::Element;
                }
                _ => {}
            },
            Step::End { name, .. } => match patch::local(name) {
                b"row" => {
                    row += 1;
                    col = 0;
                }
                b"c" => {
                    cell = None;
                    col += 1;
                }
                _ => {}
            },
            Step::Element(element) => {
                if let Some(((r, c), is_shared)) = cell {
                    let restored = if is_shared {
                        shared_index(element).and_then(|i| shared.by_index.get(&i).cloned())
                    } else if unmarked.seen {
                        restore(element)
                    } else {
                        None
                    };
                    if let Some(restored) = restored {
                        put(r, c, restored);
                    }
                }
            }
        }
        Capture::No
    })
    .ok()
}

/// The index a shared-string cell's `<v>…</v>` holds.
fn shared_index(element: &[u8]) -> Option<u32> {
    let start = memchr::memchr(b'>', element)? + 1;
    let end = memchr::memrchr(b'<', element)?;
    std::str::from_utf8(element.get(start..end)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `5` → 4 (a row's `r`).
fn row_number(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value)
        .ok()?
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse::<u32>()
        .ok()?
        .checked_sub(1)
}

fn cell_position(value: &[u8]) -> Option<(u32, u32)> {
    patch::parse_cell_ref(std::str::from_utf8(value).ok()?)
}

/// The raw value of attribute `key` (exactly, prefix included) of a start tag.
pub(super) fn attribute<'t>(tag: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    let mut at = tag
        .iter()
        .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')?;
    loop {
        while at < tag.len() && tag[at].is_ascii_whitespace() {
            at += 1;
        }
        let name_start = at;
        while at < tag.len() && !tag[at].is_ascii_whitespace() && !b"=>/".contains(&tag[at]) {
            at += 1;
        }
        if at == name_start {
            return None;
        }
        let name = &tag[name_start..at];
        while at < tag.len() && tag[at].is_ascii_whitespace() {
            at += 1;
        }
        if tag.get(at) != Some(&b'=') {
            return None;
        }
        at += 1;
        while at < tag.len() && tag[at].is_ascii_whitespace() {
            at += 1;
        }
        let quote = *tag.get(at)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value_start = at + 1;
        let value_end = value_start + memchr::memchr(quote, &tag[value_start..])?;
        if name == key {
            return Some(&tag[value_start..value_end]);
        }
        at = value_end + 1;
    }
}

/// What the walk meets.
enum Step<'b> {
    /// A start tag (`empty`: `<x/>`), whole, and the byte after it (`None` when
    /// not read yet). `inside`: within the element being captured.
    Tag {
        name: &'b [u8],
        tag: &'b [u8],
        empty: bool,
        after: Option<u8>,
        inside: bool,
    },
    /// An end tag, and the byte before it (`None` when no longer kept).
    End {
        name: &'b [u8],
        before: Option<u8>,
        inside: bool,
    },
    /// A comment, CDATA section or processing instruction within the element
    /// being captured.
    Other,
    /// A captured element, from its start tag to its end tag, shown after its
    /// end tag.
    Element(&'b [u8]),
}

/// Watches the steps inside a string element for a `<t>` without
/// `xml:space="preserve"` that may start or end with whitespace: only such a
/// string can read differently untrimmed. An entity, CDATA or comment at an edge
/// counts, as it may stand for whitespace, and so does an edge not read yet.
#[derive(Default)]
struct Unmarked {
    /// In a `<t>` without the mark.
    open: bool,
    seen: bool,
}

impl Unmarked {
    fn watch(&mut self, step: &Step) {
        let edge = |b: &Option<u8>| {
            matches!(
                b,
                None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'&' | b';' | b'>' | b'<')
            )
        };
        match step {
            Step::Tag {
                name,
                tag,
                empty: false,
                after,
                ..
            } if patch::local(name) == b"t" => {
                self.open = attribute(tag, b"xml:space") != Some(b"preserve");
                self.seen |= self.open && edge(after);
            }
            Step::End { name, before, .. } if patch::local(name) == b"t" => {
                self.seen |= self.open && edge(before);
                self.open = false;
            }
            Step::Other => self.seen |= self.open,
            _ => {}
        }
    }
}

/// What the visitor wants done with the element whose start tag it was shown.
enum Capture {
    No,
    /// Collect it, and show it whole once its end tag is read.
    Element,
}

/// How much is read from the part at a time.
const CHUNK: usize = 1 << 16;

/// What a markup that starts with `<` is.
enum Kind {
    /// A start tag; `name` is its byte range.
    Start {
        name: (usize, usize),
        empty: bool,
    },
    End {
        name: (usize, usize),
    },
    /// A comment, CDATA section or processing instruction.
    Other,
}

/// The markup that starts at `open` (a `<`) in `buf`, and where it ends (after
/// its `>`); `None` when `buf` ends first.
fn markup(buf: &[u8], open: usize) -> Option<(Kind, usize)> {
    let head = &buf[open..];
    // Most markup is a tag: `<` then a name or `/`.
    let special = matches!(head.get(1), None | Some(b'!' | b'?'));
    for (opener, terminator) in [
        (&b"<!--"[..], &b"-->"[..]),
        (b"<![CDATA[", b"]]>"),
        (b"<?", b"?>"),
    ] {
        if !special {
            break;
        }
        if head.len() < opener.len() && opener.starts_with(head) {
            return None;
        }
        if head.starts_with(opener) {
            // Looked for after the whole opener: `<!-->` does not end the comment.
            let found = memchr::memmem::find(&head[opener.len()..], terminator)?;
            return Some((Kind::Other, open + opener.len() + found + terminator.len()));
        }
    }
    let is_end = head.get(1) == Some(&b'/');
    let name_start = open + if is_end { 2 } else { 1 };
    let name_end = name_start
        + buf
            .get(name_start..)?
            .iter()
            .position(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')?;
    // The `>` that ends the tag is the first one outside quotes.
    let mut at = name_end;
    let end = loop {
        let mark = at + memchr::memchr3(b'>', b'"', b'\'', &buf[at..])?;
        if buf[mark] == b'>' {
            break mark + 1;
        }
        at = mark + 1 + memchr::memchr(buf[mark], &buf[mark + 1..])? + 1;
    };
    let name = (name_start, name_end);
    Some(if is_end {
        (Kind::End { name }, end)
    } else {
        (
            Kind::Start {
                name,
                empty: buf[end - 2] == b'/',
            },
            end,
        )
    })
}

/// Walks the markup of `input`: start and end tags, and the elements the visitor
/// asks for, whole. Text, comments, CDATA and processing instructions are passed
/// over (and kept inside a captured element). Nothing is copied or allocated per
/// tag: the part is read in chunks, and only what an unfinished tag or captured
/// element needs is kept from one chunk to the next.
fn walk<R: Read>(mut input: R, mut visit: impl FnMut(Step) -> Capture) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut pos = 0;
    let mut eof = false;
    // The start of the element being captured, and how deep inside it the walk is.
    let mut captured: Option<(usize, usize)> = None;
    loop {
        let found = memchr::memchr(b'<', &buf[pos..])
            .map(|i| pos + i)
            .and_then(|open| Some((open, markup(&buf, open)?)));
        let Some((open, (kind, end))) = found else {
            if eof {
                return Ok(());
            }
            // Keep what is still needed: the captured element, or the unfinished markup.
            let keep = match captured {
                Some((start, _)) => start,
                None => memchr::memchr(b'<', &buf[pos..]).map_or(buf.len(), |i| pos + i),
            };
            buf.drain(..keep);
            pos = pos.saturating_sub(keep);
            if let Some((start, _)) = &mut captured {
                *start -= keep;
            }
            let filled = buf.len();
            buf.resize(filled + CHUNK, 0);
            let n = loop {
                match input.read(&mut buf[filled..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            buf.truncate(filled + n);
            eof = n == 0;
            continue;
        };
        pos = end;
        let inside = captured.is_some();
        match kind {
            Kind::Start { name, empty } => {
                let step = Step::Tag {
                    name: &buf[name.0..name.1],
                    tag: &buf[open..end],
                    empty,
                    after: buf.get(end).copied(),
                    inside,
                };
                let capture = visit(step);
                match &mut captured {
                    Some((_, depth)) if !empty => *depth += 1,
                    Some(_) => {}
                    None if matches!(capture, Capture::Element) && !empty => {
                        captured = Some((open, 0));
                    }
                    None => {}
                }
            }
            Kind::End { name } => {
                visit(Step::End {
                    name: &buf[name.0..name.1],
                    before: open.checked_sub(1).map(|i| buf[i]),
                    inside,
                });
                match &mut captured {
                    Some((start, 0)) => {
                        let start = *start;
                        captured = None;
                        visit(Step::Element(&buf[start..end]));
                    }
                    Some((_, depth)) => *depth -= 1,
                    None => {}
                }
            }
            Kind::Other if inside => {
                visit(Step::Other);
            }
            Kind::Other => {}
        }
    }
}

/// The text of a string element as calamine reads it and as it is written, when
/// the two differ.
fn restore(element: &[u8]) -> Option<Restored> {
    let read = string_item(element, true)?;
    let written = string_item(element, false)?;
    (read != written).then_some(Restored { read, written })
}

/// The text of a string element (`<si>`, `<is>`) the way calamine 0.38 reads it
/// (`read_string_with_bufs`): the `<t>` of its runs joined, phonetic runs left
/// out, each `<t>` trimmed unless it preserves its spaces (or `trim` is off),
/// then OOXML's `_xHHHH_` escapes decoded.
fn string_item(element: &[u8], trim: bool) -> Option<String> {
    let mut reader = Reader::from_reader(element);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let closing = loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => break e.name().as_ref().as_bytes().to_vec(),
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    };
    let mut text = String::new();
    let mut phonetic = false;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "rPh" => phonetic = true,
            Event::End(e) if e.name().as_ref().as_bytes() == closing.as_slice() => {
                return Some(text);
            }
            Event::End(e) if e.local_name().as_ref() == "rPh" => phonetic = false,
            Event::Start(e) if e.local_name().as_ref() == "t" && !phonetic => {
                let preserve = e
                    .attributes()
                    .with_checks(false)
                    .flatten()
                    .any(|a| a.key.as_ref() == "xml:space" && a.value.as_ref() == "preserve");
                let name = e.name().as_ref().as_bytes().to_vec();
                let mut value = String::new();
                let mut inner = Vec::new();
                loop {
                    inner.clear();
                    match reader.read_event_into(&mut inner).ok()? {
                        Event::Text(t) => value.push_str(&t.xml10_content()),
                        Event::CData(t) => value.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => {
                            let entity = r.xml10_content();
                            if let Some(resolved) = resolve_xml_entity(&entity) {
                                value.push_str(resolved);
                            } else {
                                value.push(r.resolve_char_ref().ok()??);
                            }
                        }
                        Event::End(end) if end.name().as_ref().as_bytes() == name.as_slice() => {
                            break;
                        }
                        Event::Eof => return None,
                        _ => {}
                    }
                }
                let value = if preserve || !trim {
                    value.as_str()
                } else {
                    value.trim_matches([' ', '\t', '\r', '\n'])
                };
                text.push_str(&unescape_ooxml(value));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Decodes OOXML's `_xHHHH_` escapes (UTF-16 code units; a surrogate pair is
/// two escapes), as calamine does: an unpaired surrogate becomes U+FFFD.
fn unescape_ooxml(text: &str) -> Cow<'_, str> {
    let unit_at = |at: usize| -> Option<u16> {
        let bytes = text.as_bytes().get(at..at + 7)?;
        if bytes[0] != b'_' || bytes[1] != b'x' || bytes[6] != b'_' {
            return None;
        }
        let hex = std::str::from_utf8(&bytes[2..6]).ok()?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(hex, 16).ok()
    };
    let next = |from: usize| {
        let mut at = from;
        while let Some(i) = text[at..].find('_') {
            if let Some(unit) = unit_at(at + i) {
                return Some((at + i, unit));
            }
            at += i + 1;
        }
        None
    };
    let Some(mut found) = next(0) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    loop {
        let (at, unit) = found;
        out.push_str(&text[copied..at]);
        let mut after = at + 7;
        match unit {
            0xD800..=0xDBFF => match unit_at(after) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    after += 7;
                }
                _ => out.push(char::REPLACEMENT_CHARACTER),
            },
            0xDC00..=0xDFFF => out.push(char::REPLACEMENT_CHARACTER),
            _ => out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        copied = after;
        match next(after) {
            Some(n) => found = n,
            None => break,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Value;
    use std::io::Write;

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A one-sheet xlsx package with these shared string items and rows.
    fn package(items: &[&str], rows: &str) -> Vec<u8> {
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ),
            (
                "xl/workbook.xml",
                format!(r#"<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="Listing" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#),
            ),
            (
                "xl/sharedStrings.xml",
                format!(r#"<sst xmlns="{MAIN}">{}</sst>"#, items.concat()),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#),
            ),
        ];
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, xml) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(xml.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// Items whose text calamine may read otherwise than it is written.
    const ITEMS: [&str; 12] = [
        "<si><t>KAOS-HITAM</t></si>",
        "<si><t>KAOS-HITAM </t></si>",
        "<si><t xml:space=\"preserve\"> KAOS-HITAM </t></si>",
        "<si><r><t>KAOS </t></r><r><rPr><b/></rPr><t> PUTIH</t></r></si>",
        "<si><r><t>KAOS-</t></r><r><t>MERAH</t></r></si>",
        "<si><t>\tSKU-1\r\n</t><rPh sb=\"0\" eb=\"1\"><t> phonetic </t></rPh></si>",
        "<si><t>&#32;SKU-2&amp;</t></si>",
        "<si><t>_x0020_SKU-3 </t></si>",
        "<si><t><![CDATA[ SKU-4 ]]></t></si>",
        "<si/>",
        "<si><t>   </t></si>",
        "<si><x:t xmlns:x=\"urn:x\"> SKU-5</x:t></si>",
    ];

    const WRITTEN: [&str; 12] = [
        "KAOS-HITAM",
        "KAOS-HITAM ",
        " KAOS-HITAM ",
        "KAOS  PUTIH",
        "KAOS-MERAH",
        "\tSKU-1\n",
        " SKU-2&",
        " SKU-3 ",
        " SKU-4 ",
        "",
        "   ",
        " SKU-5",
    ];

    /// One row per item: A holds the shared string, B a number.
    fn shared_rows(count: usize) -> String {
        (0..count)
            .map(|i| {
                format!(
                    r#"<row r="{n}"><c r="A{n}" t="s"><v>{i}</v></c><c r="B{n}"><v>{i}</v></c></row>"#,
                    n = i + 1
                )
            })
            .collect()
    }

    /// What calamine reads of each item is what [`string_item`] says it reads,
    /// and the untrimmed text is the one written.
    #[test]
    fn string_items_read_as_calamine_reads_them_and_as_written() {
        use calamine::Reader as _;
        let bytes = package(&ITEMS, &shared_rows(ITEMS.len()));
        let mut book = calamine::Xlsx::new(Cursor::new(bytes.as_slice())).unwrap();
        let range = book.worksheet_range("Listing").unwrap();
        for (i, item) in ITEMS.iter().enumerate() {
            let calamine = range
                .get_value((i as u32, 0))
                .map(|v| v.to_string())
                .unwrap_or_default();
            assert_eq!(
                string_item(item.as_bytes(), true).unwrap(),
                calamine,
                "{item}"
            );
            assert_eq!(
                string_item(item.as_bytes(), false).unwrap(),
                WRITTEN[i],
                "{item}"
            );
            let restored = restore(item.as_bytes());
            assert_eq!(
                restored.is_some(),
                calamine != WRITTEN[i],
                "{item}: restored {restored:?}"
            );
        }
    }

    #[test]
    fn the_reader_gives_the_text_as_written() {
        let rows = format!(
            "{}{}",
            shared_rows(ITEMS.len()),
            concat!(
                // Inline strings, cells and rows without `r`, an `r` that moves the column.
                r#"<row r="20"><c t="inlineStr"><is><t> SKU-6</t></is></c><c><v>1</v></c></row>"#,
                r#"<row><c r="C21" t="inlineStr"><is><r><t>A </t></r><r><t> B</t></r></is></c><c t="s"><v>1</v></c></row>"#,
                r#"<row r="22"/><row><c t="inlineStr"><is><t xml:space="preserve">kept </t></is></c></row>"#,
            )
        );
        let bytes = package(&ITEMS, &rows);
        let loaded = crate::table::read::load_bytes(
            bytes,
            std::path::Path::new("t.xlsx"),
            "t.xlsx",
            &crate::table::read::ReadOptions::new(crate::table::read::Depth::Values),
        )
        .unwrap();
        let sheet = &loaded.workbook.sheets[0];
        let text = |row: usize, col: usize| match sheet.rows.get(row).and_then(|r| r.get(col)) {
            Some(Value::Text(t)) => t.clone(),
            other => format!("{other:?}"),
        };
        for (i, written) in WRITTEN.iter().enumerate() {
            assert_eq!(text(i, 0), *written, "row {}", i + 1);
        }
        assert_eq!(text(19, 0), " SKU-6");
        assert_eq!(text(20, 2), "A  B");
        // The next cell counts from C21's column; its shared string is item 1.
        assert_eq!(text(20, 3), "KAOS-HITAM ");
        assert_eq!(text(22, 0), "kept ");
    }

    /// The walk refills its buffer from the reader: whatever the size of the
    /// reader's reads, it shows the same elements.
    #[test]
    fn elements_are_captured_whatever_the_reads() {
        let sst = format!(
            "<?xml version=\"1.0\"?><sst><!-- <si><t>x</t></si> -->{}<?pi <si> ?></sst>",
            ITEMS.concat()
        );
        let run = |cap: usize| {
            let mut seen = Vec::new();
            walk(BufReader::with_capacity(cap, sst.as_bytes()), |step| {
                match step {
                    Step::Tag { name, empty, .. } if patch::local(name) == b"si" => {
                        if !empty {
                            return Capture::Element;
                        }
                        seen.push(String::new());
                    }
                    Step::Element(e) => seen.push(String::from_utf8_lossy(e).into_owned()),
                    _ => {}
                }
                Capture::No
            })
            .unwrap();
            seen
        };
        let whole = run(1 << 16);
        let mut expected: Vec<String> = ITEMS.iter().map(|i| i.to_string()).collect();
        expected[9] = String::new();
        assert_eq!(whole, expected);
        for cap in 1..40 {
            assert_eq!(run(cap), whole, "reads of {cap} bytes");
        }
    }

    /// The items found to read otherwise untrimmed are exactly those, whatever
    /// the size of the reads (an edge not read yet is looked at, never missed).
    #[test]
    fn the_shared_strings_that_read_otherwise_are_found() {
        let bytes = package(&ITEMS, "");
        let differ: Vec<u32> = (0..ITEMS.len())
            .filter(|&i| string_item(ITEMS[i].as_bytes(), true).unwrap() != WRITTEN[i])
            .map(|i| i as u32)
            .collect();
        assert_eq!(differ, [1, 3, 5, 6, 7, 8, 10, 11]);
        let sst = format!("<sst>{}</sst>", ITEMS.concat());
        for cap in [1, 2, 3, 5, 8, 13, 1 << 16] {
            let found = scan_shared_strings(BufReader::with_capacity(cap, sst.as_bytes())).unwrap();
            let mut keys: Vec<u32> = found.keys().copied().collect();
            keys.sort_unstable();
            assert_eq!(keys, differ, "reads of {cap} bytes");
            assert_eq!(found[&3].written, "KAOS  PUTIH");
            assert_eq!(found[&3].read, "KAOSPUTIH");
        }
        let read = Package::new(&bytes);
        assert_eq!(read.shared.by_index.len(), differ.len());
    }

    /// One `<t>` of a generated string item: its text pieces (plain text,
    /// whitespace, an entity, an OOXML escape) and whether it keeps its spaces.
    fn text_element(pieces: &[u8], preserve: bool, prefixed: bool) -> String {
        const PIECES: [&str; 10] = [
            "KAOS", "-", " ", "  ", "\t", "\r\n", "&#32;", "&amp;", "_x0020_", "HITAM",
        ];
        let text: String = pieces
            .iter()
            .map(|&p| PIECES[p as usize % PIECES.len()])
            .collect();
        let (name, space) = (
            if prefixed { "x:t" } else { "t" },
            if preserve {
                " xml:space=\"preserve\""
            } else {
                ""
            },
        );
        format!("<{name}{space}>{text}</{name}>")
    }

    proptest::proptest! {
        /// Whatever an item holds (runs or not, marked or not, whitespace,
        /// entities and escapes at its edges), [`string_item`] reads it as
        /// calamine does, and the scan finds it exactly when it reads otherwise
        /// untrimmed.
        #[test]
        fn items_read_as_calamine_reads_them(
            items in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        (proptest::collection::vec(0u8..10, 0..5), proptest::bool::ANY, proptest::bool::ANY),
                        1..4,
                    ),
                    proptest::bool::ANY,
                ),
                1..6,
            ),
        ) {
            use calamine::Reader as _;
            let items: Vec<String> = items
                .iter()
                .map(|(texts, runs)| {
                    let texts = texts
                        .iter()
                        .map(|(pieces, preserve, prefixed)| text_element(pieces, *preserve, *prefixed));
                    let body: String = if *runs {
                        texts.map(|t| format!("<r>{t}</r>")).collect()
                    } else {
                        texts.collect()
                    };
                    format!("<si xmlns:x=\"{MAIN}\">{body}</si>")
                })
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            let bytes = package(&refs, &shared_rows(items.len()));
            let mut book = calamine::Xlsx::new(Cursor::new(bytes.as_slice())).unwrap();
            let range = book.worksheet_range("Listing").unwrap();
            let package = Package::new(&bytes);
            for (i, item) in items.iter().enumerate() {
                let calamine = range
                    .get_value((i as u32, 0))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let read = string_item(item.as_bytes(), true).unwrap();
                proptest::prop_assert_eq!(&read, &calamine, "{}", item);
                let written = string_item(item.as_bytes(), false).unwrap();
                let found = package.shared.by_index.get(&(i as u32));
                proptest::prop_assert_eq!(found.is_some(), written != calamine, "{}", item);
                if let Some(found) = found {
                    proptest::prop_assert_eq!(&found.written, &written);
                }
            }
        }
    }

    #[test]
    fn attributes_are_read_raw() {
        let tag = br#"<c r="A1" s = '3' t="s">"#;
        assert_eq!(attribute(tag, b"r"), Some(&b"A1"[..]));
        assert_eq!(attribute(tag, b"s"), Some(&b"3"[..]));
        assert_eq!(attribute(tag, b"t"), Some(&b"s"[..]));
        assert_eq!(attribute(tag, b"x"), None);
        assert_eq!(
            attribute(b"<t xml:space=\"preserve\">", b"xml:space"),
            Some(&b"preserve"[..])
        );
        assert_eq!(attribute(b"<t/>", b"xml:space"), None);
        assert_eq!(row_number(b"12"), Some(11));
        assert_eq!(row_number(b"0"), None);
    }
}
