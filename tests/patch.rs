//! The patched output of `skulint fix` for .xlsx/.xlsm inputs: the original package
//! with only the fixed cells changed.
//!
//! For every case: each zip entry other than the patched worksheets and the shared
//! strings comes back with the same decompressed bytes and the same compressed bytes
//! (copied raw); in the patched worksheets every XML event outside the fixed cells
//! is the same, and the fixed cells keep their attributes; the shared strings are
//! the old ones plus the appended ones; calamine reads every cell back unchanged
//! except the fixed ones, which hold the new text; where LibreOffice is installed
//! (`soffice` on PATH), its CSV export of every sheet agrees too.
//!
//! Real exports and the rust_xlsxwriter test workbooks come from the shared corpus
//! (`SKULINT_CORPUS`, default `../shared/corpus` beside the checkout; skipped without it).

mod common;

use common::{skulint, stderr};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use quick_xml::events::{BytesStart, Event};
use rust_xlsxwriter::{DataValidation, Format, Note, Workbook};
use skulint::table::patch::{self, CellEdit};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

// ---------------------------------------------------------------------------
// helpers

/// The spreadsheet corpus (real exports and other projects' test workbooks), or
/// `None` when this machine does not have it: the tests that need it then say
/// so and check nothing else.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SKULINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the spreadsheet corpus is not at {}; set SKULINT_CORPUS to its folder",
            dir.display()
        );
        None
    }
}

/// `skulint fix` on `input` with `args`; the run must end with 0 or 1.
fn fix(input: &Path, args: &[&str]) -> Output {
    let output = skulint().arg("fix").arg(input).args(args).output().unwrap();
    let code = output.status.code().expect("killed by a signal");
    assert!(
        code == 0 || code == 1,
        "fix {}: exit {code}\n{}",
        input.display(),
        stderr(&output)
    );
    output
}

/// The new text of each fixed cell (0-based row, col), by sheet.
type Fixed = BTreeMap<String, BTreeMap<(u32, u32), String>>;

/// `F12` → (11, 5).
fn parse_cell(cell: &str) -> (u32, u32) {
    let split = cell.find(|c: char| c.is_ascii_digit()).unwrap();
    let col = cell[..split]
        .bytes()
        .fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A') + 1);
    (cell[split..].parse::<u32>().unwrap() - 1, col - 1)
}

fn cell_name(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        letters.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// The fixed cells as the change log (`--changes x.csv`) lists them.
fn changes_csv(path: &Path) -> Fixed {
    let mut fixed = Fixed::new();
    let mut reader = csv::Reader::from_path(path).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        fixed
            .entry(record[1].to_string())
            .or_default()
            .insert(parse_cell(&record[2]), record[5].to_string());
    }
    fixed
}

struct Entry {
    name: String,
    method: CompressionMethod,
    crc: u32,
    modified: Option<zip::DateTime>,
    data: Vec<u8>,
    raw: Vec<u8>,
}

/// Every entry of a package, in order, decompressed and as stored.
fn entries(bytes: &[u8]) -> Vec<Entry> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut raw = Vec::new();
            let (name, method, crc, modified) = {
                let mut file = archive.by_index_raw(index).unwrap();
                file.read_to_end(&mut raw).unwrap();
                (
                    file.name().unwrap().into_owned(),
                    file.compression(),
                    file.crc32(),
                    file.last_modified(),
                )
            };
            let mut data = Vec::new();
            archive
                .by_index(index)
                .unwrap()
                .read_to_end(&mut data)
                .unwrap();
            Entry {
                name,
                method,
                crc,
                modified,
                data,
                raw,
            }
        })
        .collect()
}

fn entry<'a>(entries: &'a [Entry], name: &str) -> &'a Entry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.try_get_attribute(key)
        .unwrap()
        .map(|a| a.value.into_owned())
}

/// Sheet name → worksheet part, and the shared strings part, from the workbook
/// relationships (the test workbooks keep their workbook at `xl/workbook.xml`).
fn layout(entries: &[Entry]) -> (BTreeMap<String, String>, Option<String>) {
    let rels = std::str::from_utf8(&entry(entries, "xl/_rels/workbook.xml.rels").data).unwrap();
    let mut targets = BTreeMap::new();
    let mut shared_strings = None;
    let mut reader = quick_xml::Reader::from_str(rels);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                let target = attr(&e, "Target").unwrap();
                let part = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                };
                if attr(&e, "Type").unwrap().ends_with("/sharedStrings") {
                    shared_strings = Some(part.clone());
                }
                targets.insert(attr(&e, "Id").unwrap(), part);
            }
            _ => {}
        }
    }
    let workbook = std::str::from_utf8(&entry(entries, "xl/workbook.xml").data).unwrap();
    let mut sheets = BTreeMap::new();
    let mut reader = quick_xml::Reader::from_str(workbook);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == "sheet" => {
                let name = e
                    .try_get_attribute("name")
                    .unwrap()
                    .unwrap()
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned();
                let id = attr(&e, "r:id").unwrap();
                sheets.insert(name, targets[&id].clone());
            }
            _ => {}
        }
    }
    (sheets, shared_strings)
}

/// The events of a worksheet, each of `masked` cells replaced by a marker, and the
/// attributes other than `t` of those cells.
type CellAttributes = BTreeMap<(u32, u32), Vec<(String, String)>>;

fn sheet_events(xml: &[u8], masked: &BTreeSet<(u32, u32)>) -> (Vec<String>, CellAttributes) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut events = Vec::new();
    let mut cells = CellAttributes::new();
    let mut buf = Vec::new();
    let mut skipping: Option<usize> = None;
    loop {
        let event = reader.read_event_into(&mut buf).unwrap();
        if let Some(depth) = skipping.as_mut() {
            match &event {
                Event::Start(_) => *depth += 1,
                Event::End(_) if *depth == 0 => skipping = None,
                Event::End(_) => *depth -= 1,
                _ => {}
            }
            buf.clear();
            continue;
        }
        match &event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "c" => {
                if let Some(position) = attr(e, "r").map(|r| parse_cell(&r))
                    && masked.contains(&position)
                {
                    let attributes = e
                        .attributes()
                        .map(|a| a.unwrap())
                        .filter(|a| a.key.as_ref() != "t")
                        .map(|a| (a.key.as_ref().to_string(), a.value.into_owned()))
                        .collect();
                    cells.insert(position, attributes);
                    events.push(format!("fixed cell {}", cell_name(position.0, position.1)));
                    if matches!(event, Event::Start(_)) {
                        skipping = Some(0);
                    }
                    buf.clear();
                    continue;
                }
            }
            _ => {}
        }
        events.push(format!("{event:?}"));
        buf.clear();
    }
    (events, cells)
}

/// The events of a workbook part, its `<calcPr>` without `fullCalcOnLoad` (and
/// left out when it has no other attribute), and whether that flag is set.
fn workbook_events(xml: &[u8]) -> (Vec<String>, bool) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut events = Vec::new();
    let mut recalculates = false;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).unwrap();
        match &event {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == "calcPr" => {
                let mut attributes: Vec<(String, String)> = Vec::new();
                for a in e.attributes() {
                    let a = a.unwrap();
                    let key = String::from_utf8_lossy(a.key.as_ref().as_bytes()).to_string();
                    if key == "fullCalcOnLoad" {
                        recalculates |= matches!(a.value.as_ref(), "1" | "true");
                    } else {
                        attributes.push((key, a.value.to_string()));
                    }
                }
                if !attributes.is_empty() {
                    events.push(format!("calcPr {attributes:?}"));
                }
            }
            Event::End(e) if e.local_name().as_ref() == "calcPr" => {}
            other => events.push(format!("{other:?}")),
        }
        buf.clear();
    }
    (events, recalculates)
}

/// The root attributes of the shared strings part and its items, each as its events.
fn shared_string_items(xml: &[u8]) -> (BTreeMap<String, String>, Vec<String>) {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut root = BTreeMap::new();
    let mut items: Vec<String> = Vec::new();
    let mut depth = 0;
    let mut in_item = false;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).unwrap();
        match &event {
            Event::Eof => break,
            Event::Start(e) => {
                if depth == 0 {
                    root = e
                        .attributes()
                        .map(|a| a.unwrap())
                        .map(|a| (a.key.as_ref().to_string(), a.value.into_owned()))
                        .collect();
                } else if depth == 1 && e.local_name().as_ref() == "si" {
                    items.push(String::new());
                    in_item = true;
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == "si" => {
                items.push(format!("{event:?}"));
            }
            Event::End(_) => depth -= 1,
            _ => {}
        }
        if in_item {
            items.last_mut().unwrap().push_str(&format!("{event:?}"));
            if depth == 1 {
                in_item = false;
            }
        }
        buf.clear();
    }
    (root, items)
}

/// Every non-empty cell of every sheet, as calamine reads it.
type SheetCells = (String, BTreeMap<(u32, u32), Data>);

fn read_cells(bytes: &[u8]) -> Vec<SheetCells> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let (top, left) = range.start().unwrap_or((0, 0));
            let cells = range
                .used_cells()
                .filter(|(_, _, d)| !matches!(d, Data::Empty))
                .map(|(r, c, d)| ((top + r as u32, left + c as u32), d.clone()))
                .collect();
            (name, cells)
        })
        .collect()
}

/// Asserts that `output` is `input` with exactly the `fixed` cells changed. The
/// sheets in `edited` were asked for changes (some may have been refused, such as
/// formula cells): their parts may be rewritten, every other part must be copied raw.
fn assert_patched(
    what: &str,
    input: &[u8],
    output: &[u8],
    edited: &BTreeSet<String>,
    fixed: &Fixed,
) {
    let before = entries(input);
    let after = entries(output);
    let names = |entries: &[Entry]| entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&before),
        names(&after),
        "{what}: entries and their order"
    );
    let (parts, shared_strings) = layout(&before);
    let rewritten: BTreeMap<&str, &str> = edited
        .iter()
        .map(|sheet| (parts[sheet].as_str(), sheet.as_str()))
        .collect();
    for (old, new) in before.iter().zip(&after) {
        let name = old.name.as_str();
        if let Some(sheet) = rewritten.get(name) {
            let masked: BTreeSet<(u32, u32)> = fixed
                .get(*sheet)
                .map(|cells| cells.keys().copied().collect())
                .unwrap_or_default();
            let (old_events, old_cells) = sheet_events(&old.data, &masked);
            let (new_events, new_cells) = sheet_events(&new.data, &masked);
            assert_eq!(
                old_events.len(),
                new_events.len(),
                "{what}: {name} has other events"
            );
            for (a, b) in old_events.iter().zip(&new_events) {
                assert_eq!(a, b, "{what}: {name} differs outside the fixed cells");
            }
            assert_eq!(
                old_cells.len(),
                masked.len(),
                "{what}: {name}: a fixed cell is missing from the input"
            );
            assert_eq!(
                old_cells, new_cells,
                "{what}: {name}: a fixed cell lost an attribute"
            );
            assert_eq!(old.modified, new.modified, "{what}: {name} timestamp");
        } else if shared_strings.as_deref() == Some(name) && old.data != new.data {
            let (old_root, old_items) = shared_string_items(&old.data);
            let (new_root, new_items) = shared_string_items(&new.data);
            assert!(
                new_items.len() > old_items.len(),
                "{what}: {name} changed without gaining strings"
            );
            if let Some(index) = (0..old_items.len()).find(|&i| old_items[i] != new_items[i]) {
                panic!(
                    "{what}: {name}: string {index} changed: {} → {}",
                    old_items[index], new_items[index]
                );
            }
            for (key, value) in &old_root {
                match key.as_str() {
                    "uniqueCount" => assert_eq!(
                        new_root[key],
                        new_items.len().to_string(),
                        "{what}: {name} uniqueCount"
                    ),
                    _ => assert_eq!(&new_root[key], value, "{what}: {name} attribute {key}"),
                }
            }
        } else if name == "xl/workbook.xml" && old.data != new.data {
            // Only the recalculation flag may be set, where the workbook holds formulas.
            assert_eq!(
                workbook_events(&old.data).0,
                workbook_events(&new.data).0,
                "{what}: {name} changed beyond the recalculation flag"
            );
            assert!(
                workbook_events(&new.data).1,
                "{what}: {name} changed without the recalculation flag"
            );
        } else {
            assert!(old.data == new.data, "{what}: {name} changed");
            assert!(old.raw == new.raw, "{what}: {name} was not copied raw");
            assert_eq!(old.method, new.method, "{what}: {name} compression");
            assert_eq!(old.crc, new.crc, "{what}: {name} crc");
            assert!(old.modified == new.modified, "{what}: {name} timestamp");
        }
    }

    let before = read_cells(input);
    let after = read_cells(output);
    assert_eq!(
        before.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        after.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "{what}: sheets"
    );
    for ((sheet, old), (_, new)) in before.iter().zip(&after) {
        let fixed = fixed.get(sheet);
        let positions: BTreeSet<&(u32, u32)> = old.keys().chain(new.keys()).collect();
        for position in positions {
            let cell = format!("{what}: {sheet}!{}", cell_name(position.0, position.1));
            match fixed.and_then(|f| f.get(position)) {
                Some(text) => assert_eq!(
                    new.get(position),
                    Some(&Data::String(text.clone())),
                    "{cell}: the fixed value"
                ),
                None => assert_eq!(old.get(position), new.get(position), "{cell} changed"),
            }
        }
    }
}

/// An input, its patched output, the fixed cells, and formula cells whose result
/// may change with them (LibreOffice recalculates some formulas on load).
struct Pair {
    input: PathBuf,
    output: PathBuf,
    fixed: Fixed,
    formulas: BTreeSet<(String, u32, u32)>,
}

impl Pair {
    fn new(input: PathBuf, output: PathBuf, fixed: Fixed) -> Pair {
        Pair {
            input,
            output,
            fixed,
            formulas: BTreeSet::new(),
        }
    }
}

/// Where LibreOffice is installed, converts every sheet of `input` and `output` to
/// CSV and asserts they agree except the fixed cells, which hold the new text.
/// Returns whether LibreOffice ran.
fn assert_libreoffice_agrees(pairs: &[Pair]) -> bool {
    let Some(soffice) = which("soffice") else {
        eprintln!("LibreOffice (soffice) is not installed: its check is skipped");
        return false;
    };
    let work = tempfile::tempdir().unwrap();
    let files = work.path().join("in");
    let csv_dir = work.path().join("csv");
    std::fs::create_dir_all(&files).unwrap();
    let mut names = Vec::new();
    for (index, pair) in pairs.iter().enumerate() {
        for (side, path) in [("a", &pair.input), ("b", &pair.output)] {
            let extension = path.extension().unwrap().to_str().unwrap();
            let name = format!("{index}{side}.{extension}");
            std::fs::copy(path, files.join(&name)).unwrap();
            names.push(files.join(name));
        }
    }
    let status = std::process::Command::new("timeout")
        .arg("600")
        .arg(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            work.path().join("profile").display()
        ))
        .args(["--headless", "--convert-to"])
        // UTF-8, every sheet to its own file.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1")
        .arg("--outdir")
        .arg(&csv_dir)
        .args(&names)
        .output()
        .unwrap();
    assert!(status.status.success(), "soffice: {status:?}");
    let read = |path: &Path| csv_rows(&std::fs::read_to_string(path).unwrap());
    for (index, pair) in pairs.iter().enumerate() {
        let input = &pair.input;
        let prefix = format!("{index}a-");
        let mut sheets = 0;
        for file in std::fs::read_dir(&csv_dir).unwrap() {
            let path = file.unwrap().path();
            let file_name = path.file_name().unwrap().to_str().unwrap().to_string();
            let Some(sheet) = file_name
                .strip_prefix(&prefix)
                .and_then(|s| s.strip_suffix(".csv"))
            else {
                continue;
            };
            sheets += 1;
            let what = format!("LibreOffice, {} sheet {sheet}", input.display());
            let old = read(&path);
            let new_path = csv_dir.join(format!("{index}b-{sheet}.csv"));
            assert!(new_path.is_file(), "{what}: not in the output");
            let new = read(&new_path);
            assert_eq!(old.len(), new.len(), "{what}: rows");
            let fixed = pair.fixed.get(sheet);
            for (row, (a, b)) in old.iter().zip(&new).enumerate() {
                let width = a.len().max(b.len());
                for col in 0..width {
                    let get = |r: &Vec<String>| r.get(col).cloned().unwrap_or_default();
                    let at = format!("{what}!{}", cell_name(row as u32, col as u32));
                    let position = (row as u32, col as u32);
                    if pair
                        .formulas
                        .contains(&(sheet.to_string(), position.0, position.1))
                    {
                        continue;
                    }
                    match fixed.and_then(|f| f.get(&position)) {
                        Some(text) => assert_eq!(&get(b), text, "{at}: the fixed value"),
                        None => assert_eq!(get(a), get(b), "{at} changed"),
                    }
                }
            }
        }
        assert!(
            sheets > 0,
            "LibreOffice wrote no sheet of {}",
            input.display()
        );
    }
    true
}

/// Rows of LibreOffice's CSV, blank lines kept (an empty row is a row; the csv
/// crate would skip it and shift every row below).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// A copy of the package with some shared strings replaced.
fn with_shared_strings(bytes: &[u8], part: &str, replace: &BTreeMap<usize, String>) -> Vec<u8> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    archive
        .by_name(part)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    // Byte ranges of the items to replace.
    let mut ranges = Vec::new();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut depth = 0;
    let mut index = 0;
    let mut start = 0;
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) => {
                if depth == 1 && e.local_name().as_ref() == "si" {
                    start = before;
                }
                depth += 1;
            }
            Event::End(e) => {
                depth -= 1;
                if depth == 1 && e.local_name().as_ref() == "si" {
                    if let Some(text) = replace.get(&index) {
                        ranges.push((start, reader.buffer_position() as usize, text));
                    }
                    index += 1;
                }
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == "si" => index += 1,
            _ => {}
        }
    }
    assert_eq!(ranges.len(), replace.len(), "shared strings not found");
    for (start, end, text) in ranges.into_iter().rev() {
        xml.replace_range(
            start..end,
            &format!(
                "<si><t xml:space=\"preserve\">{}</t></si>",
                quick_xml::escape::escape(text.as_str())
            ),
        );
    }
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let name = archive.name_for_index(index).unwrap().unwrap().into_owned();
        if name == part {
            writer
                .start_file(
                    name,
                    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
                )
                .unwrap();
            writer.write_all(xml.as_bytes()).unwrap();
        } else {
            writer
                .raw_copy_file(archive.by_index_raw(index).unwrap())
                .unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// The text of each plain shared string item (`<si><t>…</t></si>`, no rich runs
/// or phonetics), by index.
fn plain_shared_strings(xml: &[u8]) -> BTreeMap<usize, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut plain = BTreeMap::new();
    let mut depth = 0;
    let mut index = 0;
    // Within an item: its text so far, and whether it is still plain.
    let mut item: Option<(String, bool)> = None;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).unwrap();
        match &event {
            Event::Eof => break,
            Event::Start(e) => {
                if depth == 1 && e.local_name().as_ref() == "si" {
                    item = Some((String::new(), true));
                } else if depth == 2
                    && let Some((_, is_plain)) = item.as_mut()
                {
                    *is_plain &= e.local_name().as_ref() == "t";
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == "si" => index += 1,
            Event::Empty(_) if depth == 2 => {
                if let Some((_, is_plain)) = item.as_mut() {
                    *is_plain = false;
                }
            }
            Event::End(_) => {
                depth -= 1;
                if depth == 1
                    && let Some((text, is_plain)) = item.take()
                {
                    if is_plain {
                        plain.insert(index, text);
                    }
                    index += 1;
                }
            }
            Event::Text(t) if depth == 3 => {
                if let Some((text, _)) = item.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if depth == 3 => {
                if let Some((text, _)) = item.as_mut() {
                    match r.resolve_char_ref().unwrap() {
                        Some(ch) => text.push(ch),
                        None => {
                            text.push_str(quick_xml::escape::resolve_predefined_entity(r).unwrap())
                        }
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    plain
}

/// Shared-string cells of a worksheet: position → string index.
fn shared_string_cells(xml: &[u8]) -> BTreeMap<(u32, u32), usize> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut cells = BTreeMap::new();
    let mut current: Option<(u32, u32)> = None;
    let mut in_value = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == "c" => {
                current = (attr(&e, "t").as_deref() == Some("s"))
                    .then(|| parse_cell(&attr(&e, "r").unwrap()));
            }
            Event::End(e) if e.local_name().as_ref() == "c" => current = None,
            Event::Start(e) if e.local_name().as_ref() == "v" => in_value = current.is_some(),
            Event::End(e) if e.local_name().as_ref() == "v" => in_value = false,
            Event::Text(t) if in_value => {
                cells.insert(current.unwrap(), t.xml10_content().parse().unwrap());
            }
            _ => {}
        }
        buf.clear();
    }
    cells
}

/// The ranges of the array formulas of a worksheet.
fn array_ranges(xml: &[u8]) -> Vec<((u32, u32), (u32, u32))> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut ranges = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "f" && attr(&e, "t").as_deref() == Some("array") =>
            {
                let reference = attr(&e, "ref").unwrap();
                let (first, last) = reference
                    .split_once(':')
                    .unwrap_or((&reference, &reference));
                ranges.push((parse_cell(first), parse_cell(last)));
            }
            _ => {}
        }
        buf.clear();
    }
    ranges
}

/// `skulint check` JSON: (sheet, 0-based header row, SKU column) of each linted sheet.
fn sku_columns(path: &Path) -> Vec<(String, u32, u32)> {
    let output = skulint()
        .arg("check")
        .arg(path)
        .args(["--output-format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["files"][0]["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            // A product-level code column is read as the parent SKU.
            let letter = s["columns"]["sku"]
                .as_str()
                .or_else(|| s["columns"]["parent_sku"].as_str())?;
            Some((
                s["name"].as_str().unwrap().to_string(),
                s["header_row"].as_u64().unwrap() as u32 - 1,
                parse_cell(&format!("{letter}1")).1,
            ))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// real exports: a double space injected into some SKUs, then `skulint fix`

/// Makes a copy of a corpus export whose first SKU strings (up to three, of any
/// linted sheet) have a double space, fixes it, and checks the patched output.
fn fix_injected_export(corpus: &Path, relative: &str) -> Pair {
    let source = corpus.join("commerce").join(relative);
    let dir = tempfile::tempdir().unwrap().keep();
    let original = std::fs::read(&source).unwrap();
    let probe = dir.join("probe.xlsx");
    std::fs::write(&probe, &original).unwrap();
    let package = entries(&original);
    let (parts, shared_strings) = layout(&package);
    let shared_strings = shared_strings.expect("the export has shared strings");
    let plain = plain_shared_strings(&entry(&package, &shared_strings).data);

    // SKU cells below the header that hold a plain shared string without spaces.
    let mut inject: BTreeMap<usize, String> = BTreeMap::new();
    for (sheet, header_row, sku_col) in sku_columns(&probe) {
        let cells = shared_string_cells(&entry(&package, &parts[&sheet]).data);
        for (&(row, col), index) in &cells {
            if inject.len() >= 3 {
                break;
            }
            if col != sku_col || row <= header_row || inject.contains_key(index) {
                continue;
            }
            let Some(text) = plain.get(index) else {
                continue;
            };
            if text.chars().count() >= 2 && text.chars().all(|c| c.is_ascii_graphic()) {
                let mut chars = text.chars();
                let first = chars.next().unwrap();
                inject.insert(*index, format!("{first}  {}", chars.as_str()));
            }
        }
    }
    assert!(
        !inject.is_empty(),
        "{relative}: no SKU text cell to put a double space in"
    );
    let input_bytes = with_shared_strings(&original, &shared_strings, &inject);
    let input = dir.join("export.xlsx");
    std::fs::write(&input, &input_bytes).unwrap();

    let output = fix(
        &input,
        &["--changes", dir.join("changes.csv").to_str().unwrap()],
    );
    let fixed_path = dir.join("export.fixed.xlsx");
    assert!(fixed_path.is_file(), "{relative}: {}", stderr(&output));
    assert!(
        !stderr(&output).contains("warning"),
        "{relative}: {}",
        stderr(&output)
    );
    let fixed = changes_csv(&dir.join("changes.csv"));
    let injected: BTreeSet<&str> = inject.values().map(String::as_str).collect();
    let mut count = 0;
    for cells in fixed.values() {
        for new in cells.values() {
            count += 1;
            let old = new.replacen(' ', "  ", 1);
            assert!(
                injected.contains(old.as_str()),
                "{relative}: unexpected fix to {new:?}"
            );
        }
    }
    assert!(count >= inject.len(), "{relative}: {count} cells fixed");
    let edited = fixed.keys().cloned().collect();
    assert_patched(
        relative,
        &input_bytes,
        &std::fs::read(&fixed_path).unwrap(),
        &edited,
        &fixed,
    );
    Pair::new(input, fixed_path, fixed)
}

#[test]
fn real_exports_keep_everything_but_the_fixed_skus() {
    let Some(corpus) = corpus() else { return };
    let exports = [
        "shopee_tiktok_riseloka/template/mass_update_sales_info_464946005_20230414114201.xlsx",
        "shopee_listingport/samples/mass_update_sales_info_2051980_20260405231511.xlsx",
        "shopee_tiktok_riseloka/result/update/[14 Apr 2023] mass-update-shopee-result/[14 Apr 2023] mass-update-shopee-result.xlsx",
        "shopee_tiktok_riseloka/result/akulaku/hoofla/(25 Apr 2023)hoofla.xlsx",
    ];
    let pairs: Vec<_> = exports
        .iter()
        .map(|e| fix_injected_export(&corpus, e))
        .collect();
    assert_libreoffice_agrees(&pairs);
    for pair in &pairs {
        let _ = std::fs::remove_dir_all(pair.input.parent().unwrap());
    }
}

#[test]
fn repository_fixtures_are_patched() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    names.sort();
    let mut pairs = Vec::new();
    for name in &names {
        let input = dir.path().join(name);
        std::fs::copy(fixtures.join(name), &input).unwrap();
        let changes = dir.path().join(format!("{name}.changes.csv"));
        fix(&input, &["--changes", changes.to_str().unwrap()]);
        let fixed = changes_csv(&changes);
        let output = dir.path().join(name.replace(".xlsx", ".fixed.xlsx"));
        assert_patched(
            name,
            &std::fs::read(&input).unwrap(),
            &std::fs::read(&output).unwrap(),
            &fixed.keys().cloned().collect(),
            &fixed,
        );
        pairs.push(Pair::new(input, output, fixed));
    }
    let with_fixes = pairs.iter().filter(|p| !p.fixed.is_empty()).count();
    assert!(
        with_fixes >= 4,
        "only {with_fixes} fixtures have fixes: {names:?}"
    );
    assert_libreoffice_agrees(&pairs);
}

// ---------------------------------------------------------------------------
// rust_xlsxwriter's test workbooks, patched through the library

/// Workbooks with protection, data validation, hidden sheets and rows, defined
/// names, rich strings, formulas (array and dynamic), comments, tables, outlines,
/// merged ranges, escapes and a macro.
const SUITE: &[&str] = &[
    "protect02.xlsx",
    "protect03.xlsx",
    "data_validation01.xlsx",
    "data_validation02.xlsx",
    "hide01.xlsx",
    "hide02.xlsx",
    "set_row01.xlsx",
    "outline01.xlsx",
    "defined_name01.xlsx",
    "defined_name02.xlsx",
    "rich_string01.xlsx",
    "rich_string02.xlsx",
    "rich_string05.xlsx",
    "rich_string06.xlsx",
    "formula_results01.xlsx",
    "array_formula01.xlsx",
    "dynamic_array01.xlsx",
    "comment01.xlsx",
    "table01.xlsx",
    "autofilter01.xlsx",
    "merge_range01.xlsx",
    "escapes01.xlsx",
    "escapes02.xlsx",
    "escapes03.xlsx",
    "escapes05.xlsx",
    "escapes09.xlsx",
    "macro01.xlsm",
];

#[test]
fn test_suite_workbooks_keep_everything_but_the_edited_cells() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut pairs = Vec::new();
    let mut patched_some = 0;
    let mut refused_formulas = 0;
    for name in SUITE {
        let source = corpus.join("rust_xlsxwriter").join(name);
        let input_path = dir.path().join(name);
        std::fs::copy(&source, &input_path).unwrap();
        let input = std::fs::read(&input_path).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(input.as_slice())).unwrap();
        let package = entries(&input);
        let (parts, _) = layout(&package);
        // Per sheet: up to three value cells, and every formula cell (with the
        // cells of array formula ranges, which hold results only).
        let mut wanted: Vec<(String, u32, u32, String)> = Vec::new();
        let mut formula_cells = BTreeSet::new();
        for sheet in book.sheet_names() {
            for (first, last) in array_ranges(&entry(&package, &parts[&sheet]).data) {
                for row in first.0..=last.0 {
                    for col in first.1..=last.1 {
                        formula_cells.insert((sheet.clone(), row, col));
                    }
                }
            }
            let formulas = book.worksheet_formula(&sheet).unwrap();
            let (ftop, fleft) = formulas.start().unwrap_or((0, 0));
            for (r, c, f) in formulas.used_cells() {
                if !f.is_empty() {
                    formula_cells.insert((sheet.clone(), ftop + r as u32, fleft + c as u32));
                }
            }
            let range = book.worksheet_range(&sheet).unwrap();
            let (top, left) = range.start().unwrap_or((0, 0));
            let mut values = 0;
            for (r, c, data) in range.used_cells() {
                let (row, col) = (top + r as u32, left + c as u32);
                let formula = formula_cells.contains(&(sheet.clone(), row, col));
                if matches!(data, Data::Empty) || (!formula && values >= 3) {
                    continue;
                }
                if !formula {
                    values += 1;
                }
                // Spaces kept, XML and OOXML escapes, non-ASCII.
                let text = format!("  {data}  & <b> _x0041_ ✓ {}", cell_name(row, col));
                wanted.push((sheet.clone(), row, col, text));
            }
        }
        let edits: Vec<CellEdit> = wanted
            .iter()
            .map(|(sheet, row, col, text)| CellEdit {
                sheet,
                row: *row,
                col: *col,
                text,
                number: false,
            })
            .collect();
        let patched = patch::xlsx(&input, &edits).unwrap_or_else(|e| panic!("{name}: {e}"));
        let refused: BTreeSet<(String, u32, u32)> = patched
            .formula_cells
            .iter()
            .map(|c| (c.sheet.clone(), c.row, c.col))
            .collect();
        let asked_formulas: BTreeSet<(String, u32, u32)> = wanted
            .iter()
            .map(|(s, r, c, _)| (s.clone(), *r, *c))
            .filter(|cell| formula_cells.contains(cell))
            .collect();
        assert_eq!(refused, asked_formulas, "{name}: formula cells refused");
        refused_formulas += refused.len();
        let mut fixed = Fixed::new();
        for (sheet, row, col, text) in &wanted {
            if !refused.contains(&(sheet.clone(), *row, *col)) {
                fixed
                    .entry(sheet.clone())
                    .or_default()
                    .insert((*row, *col), text.clone());
            }
        }
        if !fixed.is_empty() {
            patched_some += 1;
        }
        let edited = wanted.iter().map(|(s, ..)| s.clone()).collect();
        assert_patched(name, &input, &patched.bytes, &edited, &fixed);
        let output_path = dir.path().join(format!("patched-{name}"));
        std::fs::write(&output_path, &patched.bytes).unwrap();
        pairs.push(Pair {
            input: input_path,
            output: output_path,
            fixed,
            formulas: formula_cells,
        });
    }
    assert!(
        patched_some >= 15,
        "only {patched_some} workbooks had cells to patch"
    );
    assert!(
        refused_formulas >= 10,
        "only {refused_formulas} formula cells tried"
    );
    assert_libreoffice_agrees(&pairs);
}

// ---------------------------------------------------------------------------
// what a seller's template carries, through `skulint fix`

/// A Shopee-like template: a hidden machine-key row, sheet protection with the SKU
/// and stock columns unlocked, data validation, column widths, number formats,
/// fonts and fills, a note, a defined name, frozen panes, an autofilter, a merged
/// title and a hidden lookup sheet.
fn build_template(path: &Path, skus: &[&str]) {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#FFE699");
    let unlocked = Format::new().set_unlocked();
    let stock = Format::new().set_unlocked().set_num_format("#,##0");
    let price = Format::new().set_num_format("Rp #,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("Sheet1").unwrap();
    for (col, key) in [
        "et_title_product_id",
        "et_title_product_name",
        "et_title_variation_sku",
        "et_title_variation_price",
        "et_title_variation_stock",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *key).unwrap();
    }
    sheet.set_row_hidden(0).unwrap();
    sheet.merge_range(1, 0, 1, 4, "sales_info", &bold).unwrap();
    for (col, label) in ["Kode Produk", "Nama Produk", "SKU", "Harga", "Stok"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string_with_format(2, col as u16, *label, &bold)
            .unwrap();
    }
    sheet
        .insert_note(2, 2, &Note::new("SKU penjual, tanpa spasi ganda"))
        .unwrap();
    for (i, sku) in skus.iter().enumerate() {
        let row = 3 + i as u32;
        sheet
            .write_string(row, 0, format!("0023938{i:04}"))
            .unwrap();
        sheet
            .write_string(row, 1, format!("KAOS POLOS {i}"))
            .unwrap();
        sheet
            .write_string_with_format(row, 2, *sku, &unlocked)
            .unwrap();
        sheet
            .write_number_with_format(row, 3, 59000.0 + i as f64, &price)
            .unwrap();
        sheet
            .write_number_with_format(row, 4, (i * 3) as f64, &stock)
            .unwrap();
    }
    let last = 2 + skus.len() as u32;
    sheet.set_column_width(1, 40).unwrap();
    sheet.set_column_width(2, 24).unwrap();
    sheet
        .add_data_validation(
            3,
            4,
            last,
            4,
            &DataValidation::new()
                .allow_whole_number(rust_xlsxwriter::DataValidationRule::Between(0, 999_999)),
        )
        .unwrap();
    sheet
        .add_data_validation(
            3,
            1,
            last,
            1,
            &DataValidation::new().allow_list_formula("=Lists!$A$1:$A$3".into()),
        )
        .unwrap();
    sheet.set_freeze_panes(3, 0).unwrap();
    sheet.autofilter(2, 0, last, 4).unwrap();
    sheet.protect_with_password("shopee");
    let lists = book.add_worksheet();
    lists.set_name("Lists").unwrap();
    for (row, value) in ["KAOS POLOS 0", "KAOS POLOS 1", "KAOS POLOS 2"]
        .iter()
        .enumerate()
    {
        lists.write_string(row as u32, 0, *value).unwrap();
    }
    lists.set_hidden(true);
    book.define_name("SkuColumn", "=Sheet1!$C$4:$C$20").unwrap();
    book.save(path).unwrap();
}

const TEMPLATE_SKUS: &[&str] = &[
    "KAOS-HITAM-M",
    "KAOS  HITAM-L",
    "KAOS-PUTIH-M",
    " KAOS-PUTIH-L",
    "KAOS  MERAH   XL",
    "KAOS-BIRU-S",
];

#[test]
fn a_template_keeps_protection_validation_hidden_rows_and_styles() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("template.xlsx");
    build_template(&input, TEMPLATE_SKUS);
    let changes = dir.path().join("changes.csv");
    let output = fix(&input, &["--changes", changes.to_str().unwrap()]);
    assert!(
        stderr(&output).contains("fixed 3 cells"),
        "{}",
        stderr(&output)
    );
    let fixed = changes_csv(&changes);
    let expected: BTreeMap<(u32, u32), String> = [
        ((4, 2), "KAOS HITAM-L".to_string()),
        ((6, 2), "KAOS-PUTIH-L".to_string()),
        ((7, 2), "KAOS MERAH XL".to_string()),
    ]
    .into();
    assert_eq!(fixed["Sheet1"], expected);
    let fixed_path = dir.path().join("template.fixed.xlsx");
    let before = std::fs::read(&input).unwrap();
    let after = std::fs::read(&fixed_path).unwrap();
    assert_patched(
        "template",
        &before,
        &after,
        &BTreeSet::from(["Sheet1".into()]),
        &fixed,
    );
    // Spelled out, though the event comparison already covers them.
    let sheet = String::from_utf8(
        entry(&entries(&after), "xl/worksheets/sheet1.xml")
            .data
            .clone(),
    )
    .unwrap();
    for kept in [
        "<sheetProtection",
        "<dataValidations count=\"2\"",
        "hidden=\"1\"",
        "<cols>",
        "<autoFilter",
        "<pane ",
        "<mergeCells",
    ] {
        assert!(sheet.contains(kept), "{kept} lost");
    }
    let workbook =
        String::from_utf8(entry(&entries(&after), "xl/workbook.xml").data.clone()).unwrap();
    assert!(workbook.contains("SkuColumn") && workbook.contains("state=\"hidden\""));
    assert_libreoffice_agrees(&[Pair::new(input, fixed_path, fixed)]);
}

#[test]
fn rebuild_writes_highlights_and_notes_instead() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("template.xlsx");
    build_template(&input, TEMPLATE_SKUS);
    fix(&input, &["--rebuild"]);
    let rebuilt = entries(&std::fs::read(dir.path().join("template.fixed.xlsx")).unwrap());
    let original = entries(&std::fs::read(&input).unwrap());
    // rust_xlsxwriter writes the notes of the fixed cells; the original has one note.
    let comments = String::from_utf8(entry(&rebuilt, "xl/comments1.xml").data.clone()).unwrap();
    assert_eq!(
        comments.matches("skulint fixed this cell").count(),
        3,
        "{comments}"
    );
    let sheet =
        String::from_utf8(entry(&rebuilt, "xl/worksheets/sheet1.xml").data.clone()).unwrap();
    assert!(
        !sheet.contains("<sheetProtection"),
        "a rebuild does not carry protection"
    );
    assert!(
        entry(&original, "xl/worksheets/sheet1.xml").data
            != entry(&rebuilt, "xl/worksheets/sheet1.xml").data
    );
}

#[test]
fn nothing_to_fix_copies_every_entry_raw() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("clean.xlsx");
    build_template(&input, &["KAOS-HITAM-M", "KAOS-HITAM-L"]);
    let output = fix(&input, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_patched(
        "clean",
        &std::fs::read(&input).unwrap(),
        &std::fs::read(dir.path().join("clean.fixed.xlsx")).unwrap(),
        &BTreeSet::new(),
        &Fixed::new(),
    );
}

// ---------------------------------------------------------------------------
// formulas that read a fixed cell

/// `bytes` with its workbook part as `rewrite` makes it: rust_xlsxwriter always
/// marks a workbook to recalculate on load, Excel (`<calcPr calcId="191029"/>`) and
/// most exporters do not.
fn with_workbook_part(bytes: &[u8], rewrite: impl Fn(&str) -> String) -> Vec<u8> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == "xl/workbook.xml" {
            let xml = String::from_utf8(data).unwrap();
            let changed = rewrite(&xml);
            assert_ne!(changed, xml, "the workbook part was not rewritten");
            data = changed.into_bytes();
        }
        writer
            .start_file(name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const XLSXWRITER_CALC_PR: &str = r#"<calcPr calcId="124519" fullCalcOnLoad="1"/>"#;

/// A listing whose SKU in A2 has a double space; `label` is the formula put in
/// C2 (or none), and a second sheet holds `summary` (or is not there).
fn listing_with_formulas(label: Option<&str>, summary: Option<&str>) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Listing").unwrap();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(0, 2, "Label").unwrap();
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    sheet.write_string(2, 0, "KAOS-PUTIH").unwrap();
    sheet.write_number(2, 1, 4.0).unwrap();
    if let Some(label) = label {
        sheet
            .write_formula(
                1,
                2,
                rust_xlsxwriter::Formula::new(label).set_result("KAOS  HITAM"),
            )
            .unwrap();
    }
    if let Some(summary) = summary {
        let other = book.add_worksheet().set_name("Summary").unwrap();
        other
            .write_formula(
                0,
                0,
                rust_xlsxwriter::Formula::new(summary).set_result("KAOS  HITAM"),
            )
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The workbook part of the package at `path`.
fn workbook_part(path: &Path) -> String {
    String::from_utf8(
        entry(&entries(&std::fs::read(path).unwrap()), "xl/workbook.xml")
            .data
            .clone(),
    )
    .unwrap()
}

#[test]
fn a_fixed_cell_read_by_a_formula_makes_the_workbook_recalculate_on_load() {
    let dir = tempfile::tempdir().unwrap();
    // The formula reads the fixed SKU on its own sheet; calcPr is there without the flag.
    let bytes = with_workbook_part(&listing_with_formulas(Some("=A2"), None), |xml| {
        xml.replace(XLSXWRITER_CALC_PR, r#"<calcPr calcId="191029"/>"#)
    });
    let input = dir.path().join("same-sheet.xlsx");
    std::fs::write(&input, &bytes).unwrap();
    let changes = dir.path().join("same-sheet.csv");
    fix(&input, &["--changes", changes.to_str().unwrap()]);
    let output = dir.path().join("same-sheet.fixed.xlsx");
    let fixed = changes_csv(&changes);
    assert_eq!(fixed["Listing"][&(1, 0)], "KAOS HITAM");
    assert!(
        workbook_part(&output).contains(r#"<calcPr calcId="191029" fullCalcOnLoad="1"/>"#),
        "{}",
        workbook_part(&output)
    );
    assert_patched(
        "same sheet",
        &bytes,
        &std::fs::read(&output).unwrap(),
        &BTreeSet::from(["Listing".into()]),
        &fixed,
    );

    // The formula is on another sheet, and the workbook has no calcPr at all.
    let bytes = with_workbook_part(&listing_with_formulas(None, Some("=Listing!A2")), |xml| {
        xml.replace(XLSXWRITER_CALC_PR, "")
    });
    let input = dir.path().join("other-sheet.xlsx");
    std::fs::write(&input, &bytes).unwrap();
    let changes = dir.path().join("other-sheet.csv");
    fix(&input, &["--changes", changes.to_str().unwrap()]);
    let output = dir.path().join("other-sheet.fixed.xlsx");
    let workbook = workbook_part(&output);
    assert!(
        workbook.contains(r#"</sheets><calcPr fullCalcOnLoad="1"/></workbook>"#),
        "{workbook}"
    );
    assert_patched(
        "other sheet",
        &bytes,
        &std::fs::read(&output).unwrap(),
        &BTreeSet::from(["Listing".into()]),
        &changes_csv(&changes),
    );
}

#[test]
fn a_workbook_without_formulas_keeps_its_workbook_part() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = with_workbook_part(&listing_with_formulas(None, None), |xml| {
        xml.replace(XLSXWRITER_CALC_PR, r#"<calcPr calcId="191029"/>"#)
    });
    let input = dir.path().join("plain.xlsx");
    std::fs::write(&input, &bytes).unwrap();
    let changes = dir.path().join("plain.csv");
    fix(&input, &["--changes", changes.to_str().unwrap()]);
    let output = std::fs::read(dir.path().join("plain.fixed.xlsx")).unwrap();
    let (before, after) = (entries(&bytes), entries(&output));
    let (old, new) = (
        entry(&before, "xl/workbook.xml"),
        entry(&after, "xl/workbook.xml"),
    );
    assert!(
        old.raw == new.raw && old.data == new.data,
        "the workbook part changed"
    );
    assert_patched(
        "plain",
        &bytes,
        &output,
        &BTreeSet::from(["Listing".into()]),
        &changes_csv(&changes),
    );
    // Byte-stable: the same input gives the same output.
    fix(&input, &[]);
    assert!(std::fs::read(dir.path().join("plain.fixed.xlsx")).unwrap() == output);
}

/// Which workbooks get the flag, through the library: any formula on any sheet
/// counts (the patched sheet's own, found while it is patched, or another
/// sheet's, found by scanning it), and only when a cell is patched.
#[test]
fn only_a_patched_workbook_with_formulas_is_marked_to_recalculate() {
    let edit = CellEdit {
        sheet: "Listing",
        row: 1,
        col: 0,
        text: "KAOS HITAM",
        number: false,
    };
    let cases = [
        (listing_with_formulas(Some("=A2"), None), true),
        (listing_with_formulas(None, Some("=Listing!A2")), true),
        (listing_with_formulas(None, Some("=1+1")), true),
        (listing_with_formulas(None, None), false),
    ];
    for (i, (bytes, expected)) in cases.iter().enumerate() {
        let bytes = with_workbook_part(bytes, |xml| xml.replace(XLSXWRITER_CALC_PR, ""));
        let patched = patch::xlsx(&bytes, &[edit]).unwrap();
        assert_eq!(patched.recalculates_on_load, *expected, "case {i}");
        assert_eq!(
            workbook_events(&entry(&entries(&patched.bytes), "xl/workbook.xml").data).1,
            *expected,
            "case {i}"
        );
        // Nothing patched: nothing marked.
        let untouched = patch::xlsx(&bytes, &[]).unwrap();
        assert!(!untouched.recalculates_on_load, "case {i}");
    }
}

/// A rebuilt copy comes from rust_xlsxwriter, which marks every workbook to
/// recalculate on load: formulas written with their old results are recalculated.
#[test]
fn a_rebuilt_copy_recalculates_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = with_workbook_part(&listing_with_formulas(Some("=A2"), None), |xml| {
        xml.replace(XLSXWRITER_CALC_PR, r#"<calcPr calcId="191029"/>"#)
    });
    let input = dir.path().join("rebuilt.xlsx");
    std::fs::write(&input, &bytes).unwrap();
    fix(&input, &["--rebuild"]);
    let output = dir.path().join("rebuilt.fixed.xlsx");
    assert!(workbook_events(workbook_part(&output).as_bytes()).1);
    let sheet = entry(
        &entries(&std::fs::read(&output).unwrap()),
        "xl/worksheets/sheet1.xml",
    )
    .data
    .clone();
    assert!(
        String::from_utf8(sheet).unwrap().contains("<f>A2</f>"),
        "the formula is kept"
    );
}

// ---------------------------------------------------------------------------
// macros, formulas, and packages that cannot be patched

/// A real VBA project from the corpus, or, without the corpus, stand-in bytes:
/// either way the part must come out byte for byte.
fn vba_project() -> Vec<u8> {
    match corpus() {
        Some(corpus) => {
            let bytes = std::fs::read(corpus.join("rust_xlsxwriter/macro01.xlsm")).unwrap();
            entry(&entries(&bytes), "xl/vbaProject.bin").data.clone()
        }
        None => (0..4096u32).map(|i| (i * 31 % 251) as u8).collect(),
    }
}

fn build_xlsm(path: &Path, dir: &Path) {
    let vba = dir.join("vbaProject.bin");
    std::fs::write(&vba, vba_project()).unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    sheet.write_string(2, 0, "KAOS-PUTIH").unwrap();
    sheet.write_number(2, 1, 4.0).unwrap();
    book.add_vba_project(&vba).unwrap();
    book.save(path).unwrap();
}

#[test]
fn an_xlsm_stays_an_xlsm_with_its_macros() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("macro.xlsm");
    build_xlsm(&input, dir.path());
    fix(&input, &[]);
    let output = dir.path().join("macro.fixed.xlsm");
    assert!(output.is_file());
    assert!(!dir.path().join("macro.fixed.xlsx").exists());
    let fixed: Fixed = [(
        "Sheet1".to_string(),
        BTreeMap::from([((1, 0), "KAOS HITAM".to_string())]),
    )]
    .into();
    let before = std::fs::read(&input).unwrap();
    let after = std::fs::read(&output).unwrap();
    assert_patched(
        "xlsm",
        &before,
        &after,
        &BTreeSet::from(["Sheet1".into()]),
        &fixed,
    );
    assert!(entry(&entries(&after), "xl/vbaProject.bin").data == vba_project());
    assert_libreoffice_agrees(&[Pair::new(input.clone(), output, fixed)]);

    // In place: the .xlsm is replaced by its patched self, its original kept.
    fix(&input, &["--in-place"]);
    assert_eq!(
        std::fs::read(dir.path().join("macro.xlsm.bak")).unwrap(),
        before
    );
    let replaced = entries(&std::fs::read(&input).unwrap());
    assert!(entry(&replaced, "xl/vbaProject.bin").data == vba_project());

    // --rebuild cannot carry the macros: the copy is an .xlsx.
    let again = dir.path().join("again.xlsm");
    std::fs::write(&again, &before).unwrap();
    fix(&again, &["--rebuild"]);
    let rebuilt = entries(&std::fs::read(dir.path().join("again.fixed.xlsx")).unwrap());
    assert!(rebuilt.iter().all(|e| e.name != "xl/vbaProject.bin"));
}

#[test]
fn a_sku_computed_by_a_formula_is_left_alone_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("formula.xlsx");
    common::formula_sku_workbook(&input, "KAOS  PUTIH");

    let changes = dir.path().join("changes.csv");
    let output = fix(&input, &["--changes", changes.to_str().unwrap()]);
    // The fix of the formula cell is reported as blocked, naming the formula.
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        report.contains("A2") && report.contains("computed by a formula"),
        "{report}"
    );
    let fixed = changes_csv(&changes);
    let expected: Fixed = [(
        "Sheet1".to_string(),
        BTreeMap::from([((2, 0), "KAOS PUTIH".to_string())]),
    )]
    .into();
    assert_eq!(fixed, expected, "only the plain cell is changed");
    // The formula cell's events are compared unmasked: it is byte-for-byte the same.
    assert_patched(
        "formula",
        &std::fs::read(&input).unwrap(),
        &std::fs::read(dir.path().join("formula.fixed.xlsx")).unwrap(),
        &BTreeSet::from(["Sheet1".into()]),
        &fixed,
    );
    let plan = std::fs::read_to_string(dir.path().join("formula.resync.jsonl")).unwrap();
    assert_eq!(plan.lines().count(), 1, "{plan}");
}

#[test]
fn a_package_that_cannot_be_patched_is_rebuilt_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    book.save(&plain).unwrap();
    // The same sheet declared in another encoding: readable, but not patched as UTF-8.
    let bytes = std::fs::read(&plain).unwrap();
    let mut archive = ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            data = String::from_utf8(data)
                .unwrap()
                .replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1)
                .into_bytes();
        }
        writer
            .start_file(name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&data).unwrap();
    }
    let input = dir.path().join("latin1.xlsx");
    std::fs::write(&input, writer.finish().unwrap().into_inner()).unwrap();

    let output = fix(&input, &[]);
    let err = stderr(&output);
    let notice: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("cannot patch the original workbook"))
        .collect();
    assert_eq!(notice.len(), 1, "{err}");
    assert!(notice[0].starts_with("skulint: warning:") && notice[0].contains("ISO-8859-1"));
    let rebuilt = std::fs::read(dir.path().join("latin1.fixed.xlsx")).unwrap();
    // Rebuilt: the fixed cell carries skulint's note.
    assert!(
        entries(&rebuilt)
            .iter()
            .any(|e| e.name == "xl/comments1.xml")
    );
    let cells = read_cells(&rebuilt);
    assert_eq!(cells[0].1[&(1, 0)], Data::String("KAOS HITAM".into()));
}

#[test]
fn a_sheet_name_that_is_not_in_the_workbook_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.xlsx");
    build_template(&input, TEMPLATE_SKUS);
    let bytes = std::fs::read(&input).unwrap();
    let edit = CellEdit {
        sheet: "Nope",
        row: 4,
        col: 2,
        text: "x",
        number: false,
    };
    let error = patch::xlsx(&bytes, &[edit]).unwrap_err().to_string();
    assert!(error.contains("Nope"), "{error}");
    // A cell that is not in the sheet's XML is refused too (never a silent no-op).
    let edit = CellEdit {
        sheet: "Sheet1",
        row: 500,
        col: 2,
        text: "x",
        number: false,
    };
    let error = patch::xlsx(&bytes, &[edit]).unwrap_err().to_string();
    assert!(error.contains("C501"), "{error}");
}

/// A small workbook whose entries are all stored (method 0), as some exporters
/// (and Python's zipfile by default) write them.
fn stored_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut archive = ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        writer.start_file(name, stored).unwrap();
        writer.write_all(&data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A stored part is rewritten stored: it takes no compression level, and asking
/// for one made every such package fall back to a rebuild.
#[test]
fn a_package_with_stored_entries_is_patched_and_stays_stored() {
    let input = stored_workbook();
    let edit = CellEdit {
        sheet: "Sheet1",
        row: 1,
        col: 0,
        text: "KAOS HITAM",
        number: false,
    };
    let patched = patch::xlsx(&input, &[edit]).expect("patched");
    let mut archive = ZipArchive::new(Cursor::new(patched.bytes)).unwrap();
    for index in 0..archive.len() {
        let file = archive.by_index_raw(index).unwrap();
        assert_eq!(
            file.compression(),
            CompressionMethod::Stored,
            "{:?}",
            file.name()
        );
    }
}
