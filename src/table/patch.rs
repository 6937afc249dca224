//! Writing a corrected xlsx/xlsm by patching the original package: every zip entry
//! without a fixed cell is copied as it is (its compressed bytes, untouched), and the
//! worksheets that hold fixed cells are streamed through an XML reader and writer
//! that replaces only those cells' values. Styles, hidden rows, protection, data
//! validation, column widths, comments, defined names and macros all survive,
//! because nothing but the fixed cells is rewritten.
//!
//! A fixed cell that was a shared-string cell stays one (its string is appended to
//! the shared strings, whose reference count does not change); any other cell
//! becomes an inline string. A cell that holds a formula is left alone and reported.
//!
//! A formula keeps its last result in the file, and a spreadsheet program shows that
//! result until it recalculates. When a cell is patched and any worksheet of the
//! workbook holds a formula, the workbook part gets `<calcPr fullCalcOnLoad="1"/>`,
//! so that every formula is recalculated when the file is opened. Which formulas
//! read a patched cell is not worked out: a formula on another sheet can reach it
//! through a defined name, a 3-D reference (`Sheet1:Sheet3!A1`) or `INDIRECT`, so
//! any formula at all counts. A workbook without formulas keeps its workbook part
//! byte for byte.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Read, Seek, Write};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer, XmlVersion};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// One cell to set to a new text.
#[derive(Clone, Copy, Debug)]
pub struct CellEdit<'a> {
    pub sheet: &'a str,
    /// 0-based.
    pub row: u32,
    pub col: u32,
    pub text: &'a str,
    /// Write the value as a number cell (a stock that was a number stays one).
    pub number: bool,
}

/// The edits of one sheet part: (row, col) → (new text, written as a number).
type SheetEdits<'a> = HashMap<(u32, u32), (&'a str, bool)>;

/// A cell that was not patched, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub sheet: String,
    /// 0-based.
    pub row: u32,
    pub col: u32,
}

/// The patched package.
#[derive(Debug)]
pub struct Patched {
    pub bytes: Vec<u8>,
    /// Cells left unchanged because they hold a formula: replacing the value would
    /// throw the formula away.
    pub formula_cells: Vec<Skipped>,
    /// Whether the workbook was marked to recalculate every formula when opened
    /// (a cell was patched and the workbook holds formulas).
    pub recalculates_on_load: bool,
}

/// Why a package could not be patched. Each is a reason to rebuild the workbook instead.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("the package is not a zip archive skulint can rewrite ({0})")]
    Zip(#[from] ZipError),
    #[error("cannot read or write {part}: {detail}")]
    Part { part: String, detail: String },
    #[error("part {part} declares {size} bytes uncompressed, more than the {limit} allowed")]
    TooLarge { part: String, size: u64, limit: u64 },
    #[error("{0}")]
    Unsupported(String),
}

/// Parts that are parsed in memory (relationships, the workbook part).
const MAX_MEMORY_PART: u64 = 64 << 20;
/// Parts that are streamed (worksheets, shared strings): far above any real export
/// (a 1,048,576-row, 10-column sheet is about half a GB), far below a zip bomb's claims.
pub(super) const MAX_STREAMED_PART: u64 = 2 << 30;

const REL_OFFICE_DOCUMENT: &str = "/officeDocument";
const REL_WORKSHEET: &str = "/worksheet";
const REL_SHARED_STRINGS: &str = "/sharedStrings";
const REL_CALC_CHAIN: &str = "/calcChain";
/// Sheets that hold cells, and so formulas: worksheets and Excel 4.0 macro sheets.
const REL_FORMULA_SHEETS: [&str; 3] = [REL_WORKSHEET, "/xlMacrosheet", "/xlIntlMacrosheet"];

/// The package `input` with the `edits` applied. Edits of cells that hold a formula
/// are not applied; they come back in [`Patched::formula_cells`].
pub fn xlsx(input: &[u8], edits: &[CellEdit]) -> Result<Patched, PatchError> {
    xlsx_from(Cursor::new(input), edits)
}

/// [`xlsx`] of a package read as it is patched (a file), rather than held.
pub fn xlsx_from<R: Read + Seek>(mut input: R, edits: &[CellEdit]) -> Result<Patched, PatchError> {
    let input_len = input.seek(io::SeekFrom::End(0)).map_err(ZipError::Io)?;
    input.rewind().map_err(ZipError::Io)?;
    let mut archive = ZipArchive::new(input)?;
    check_entries(&mut archive)?;
    let layout = Layout::read(&mut archive)?;

    let mut by_part: BTreeMap<&str, SheetEdits> = BTreeMap::new();
    for edit in edits {
        let part = layout.sheets.get(edit.sheet).ok_or_else(|| {
            PatchError::Unsupported(format!(
                "sheet {} is not a worksheet of the workbook part",
                edit.sheet
            ))
        })?;
        by_part
            .entry(part.as_str())
            .or_default()
            .insert((edit.row, edit.col), (edit.text, edit.number));
    }
    let sheet_of_part: HashMap<&str, &str> = layout
        .sheets
        .iter()
        .map(|(sheet, part)| (part.as_str(), sheet.as_str()))
        .collect();

    let mut strings = SharedStrings::default();
    if let Some(part) = &layout.shared_strings
        && !by_part.is_empty()
    {
        strings.existing = Some(count_shared_strings(&mut archive, part)?);
    }

    // Pass 1: the patched worksheets, compressed into a staging archive. They are
    // copied from there in pass 2, once the shared strings they add are known,
    // wherever the shared strings part sits in the package.
    let mut staging = ZipWriter::new(Cursor::new(Vec::new()));
    let mut formula_cells = Vec::new();
    let mut patched_any = false;
    let mut formulas_seen = false;
    for (part, cells) in &by_part {
        let index = archive
            .index_for_name(part)
            .ok_or_else(|| PatchError::Unsupported(format!("part {part} is missing")))?;
        let file = archive.by_index(index)?;
        let size = file.size();
        check_size(part, size, MAX_STREAMED_PART)?;
        let options = rewritten(file.options(), file.compression());
        staging.start_file(*part, options)?;
        let reader = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
        let outcome = compressing_beside(&mut staging, crate::workers::spare(), |writer| {
            patch_sheet(reader, writer, cells, &mut strings)
        })
        .map_err(|e| e.in_part(part))?;
        let sheet = sheet_of_part[part];
        let met: HashSet<&(u32, u32)> = outcome.patched.iter().chain(&outcome.formulas).collect();
        let mut missing: Vec<String> = cells
            .keys()
            .filter(|cell| !met.contains(cell))
            .map(|&(row, col)| cell_name(row, col))
            .collect();
        missing.sort();
        if !missing.is_empty() {
            return Err(PatchError::Unsupported(format!(
                "cell {} of sheet {sheet} was not found in {part}",
                missing.join(", ")
            )));
        }
        patched_any |= !outcome.patched.is_empty();
        formulas_seen |= outcome.holds_formula;
        formula_cells.extend(outcome.formulas.into_iter().map(|(row, col)| Skipped {
            sheet: sheet.to_string(),
            row,
            col,
        }));
    }
    let mut staged = ZipArchive::new(staging.finish()?)?;
    let recalculates_on_load = patched_any
        && (formulas_seen || layout.calc_chain || any_formula(&mut archive, &layout, &by_part)?);
    let workbook_xml = match recalculates_on_load {
        true => full_calc_on_load(&layout.workbook_xml, &layout.workbook)?,
        false => None,
    };

    // Pass 2: every entry in its original order.
    let capacity = usize::try_from(input_len)
        .unwrap_or(0)
        .saturating_add(1 << 16);
    let mut output = ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    output.set_raw_comment(archive.comment().into())?;
    for index in 0..archive.len() {
        let name = archive
            .name_for_index(index)
            .ok_or(ZipError::FileNotFound)??
            .into_owned();
        if by_part.contains_key(name.as_str()) {
            output.raw_copy_file(staged.by_name(&name)?)?;
        } else if name == layout.workbook
            && let Some(xml) = &workbook_xml
        {
            let file = archive.by_index(index)?;
            let options = rewritten(file.options(), file.compression());
            output.start_file(name.as_str(), options)?;
            output
                .write_all(xml.as_bytes())
                .map_err(|e| xml_error(&name, e))?;
        } else if layout.shared_strings.as_deref() == Some(name.as_str())
            && !strings.added.is_empty()
        {
            let file = archive.by_index(index)?;
            let size = file.size();
            check_size(&name, size, MAX_STREAMED_PART)?;
            let options = rewritten(file.options(), file.compression());
            output.start_file(name.as_str(), options)?;
            let reader = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
            compressing_beside(&mut output, crate::workers::spare(), |writer| {
                append_shared_strings(reader, writer, &strings)
            })
            .map_err(|e| e.in_part(&name))?;
        } else {
            output.raw_copy_file(archive.by_index_raw(index)?)?;
        }
    }
    Ok(Patched {
        bytes: output.finish()?.into_inner(),
        formula_cells,
        recalculates_on_load,
    })
}

/// Whether a sheet that is not patched holds a formula. Its part is scanned for
/// an `<f>` element, not parsed; a comment or CDATA section that holds `<f>`
/// counts too, which only costs a recalculation.
fn any_formula<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    layout: &Layout,
    patched: &BTreeMap<&str, SheetEdits>,
) -> Result<bool, PatchError> {
    for part in &layout.formula_parts {
        if patched.contains_key(part.as_str()) {
            continue;
        }
        let file = archive.by_name(part)?;
        let size = file.size();
        check_size(part, size, MAX_STREAMED_PART)?;
        let input = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
        if holds_formula_element(input).map_err(|e| xml_error(part, e))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `input` holds a start tag whose local name is `f` (`<f>`, `<x:f …/>`).
/// Only markup can hold `<`, so every `<` starts a tag, a comment, CDATA or a
/// processing instruction.
fn holds_formula_element<R: BufRead>(mut input: R) -> io::Result<bool> {
    // A tag name cut by the end of a read is kept for the next one.
    let mut carried: Vec<u8> = Vec::new();
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(false);
        }
        let n = chunk.len();
        carried.extend_from_slice(chunk);
        input.consume(n);
        let mut at = 0;
        let mut keep_from = carried.len();
        while let Some(found) = memchr::memchr(b'<', &carried[at..]) {
            let open = at + found;
            let name_start = open + 1;
            match carried[name_start..]
                .iter()
                .position(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
            {
                Some(len) => {
                    if local(&carried[name_start..name_start + len]) == b"f" {
                        return Ok(true);
                    }
                    at = name_start + len;
                }
                None => {
                    keep_from = open;
                    break;
                }
            }
        }
        carried.drain(..keep_from);
        // A name longer than any real one is not a name to wait for.
        if carried.len() > 1024 {
            carried.clear();
        }
    }
}

/// Elements of the workbook part that come after `<calcPr>` in the schema's order
/// (ECMA-376 Part 1, CT_Workbook).
const AFTER_CALC_PR: [&str; 9] = [
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
];

/// The workbook part with `fullCalcOnLoad="1"` on its `<calcPr>` (its other
/// attributes kept as written), or a `<calcPr fullCalcOnLoad="1"/>` added in its
/// place in the schema's order. `None` when the flag is already set.
fn full_calc_on_load(xml: &str, part: &str) -> Result<Option<String>, PatchError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = false;
    let mut depth = 0usize;
    let mut prefix = String::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let after = reader.buffer_position() as usize;
        match &event {
            Event::Eof => {
                return Err(PatchError::Unsupported(format!(
                    "{part} has no workbook element"
                )));
            }
            Event::Start(e) | Event::Empty(e)
                if depth == 1 && e.local_name().as_ref() == "calcPr" =>
            {
                if let Some(value) = attribute(e, "fullCalcOnLoad", part)?
                    && matches!(value.trim(), "1" | "true")
                {
                    return Ok(None);
                }
                let set = with_attribute(e, "fullCalcOnLoad", "1", true)
                    .map_err(|e| xml_error(part, format!("{e:?}")))?;
                let mut tag = Vec::new();
                let mut writer = Writer::new(&mut tag);
                let written = match event {
                    Event::Empty(_) => writer.write_event(Event::Empty(set)),
                    _ => writer.write_event(Event::Start(set)),
                };
                written.map_err(|e| xml_error(part, e))?;
                let tag = String::from_utf8(tag).map_err(|e| xml_error(part, e))?;
                return Ok(Some(format!("{}{tag}{}", &xml[..before], &xml[after..])));
            }
            Event::Start(e) | Event::Empty(e)
                if depth == 1
                    && AFTER_CALC_PR
                        .iter()
                        .any(|name| e.local_name().as_ref() == *name) =>
            {
                return Ok(Some(insert_calc_pr(xml, before, &prefix)));
            }
            Event::End(_) if depth == 1 => {
                return Ok(Some(insert_calc_pr(xml, before, &prefix)));
            }
            Event::Start(e) => {
                if depth == 0 {
                    prefix = prefix_of(e);
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

fn insert_calc_pr(xml: &str, at: usize, prefix: &str) -> String {
    format!(
        "{}<{prefix}calcPr fullCalcOnLoad=\"1\"/>{}",
        &xml[..at],
        &xml[at..]
    )
}

/// Refuses what cannot be rewritten faithfully: encrypted entries, duplicate names,
/// names that are not UTF-8.
fn check_entries<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Result<(), PatchError> {
    if archive.has_duplicate_names() {
        return Err(PatchError::Unsupported(
            "the package holds two entries with the same name".into(),
        ));
    }
    for index in 0..archive.len() {
        let file = archive.by_index_raw(index)?;
        if file.encrypted() {
            return Err(PatchError::Unsupported(format!(
                "entry {} is encrypted",
                String::from_utf8_lossy(file.name_raw())
            )));
        }
        if std::str::from_utf8(file.name_raw()).is_err() {
            return Err(PatchError::Unsupported(
                "an entry name is not UTF-8".to_string(),
            ));
        }
    }
    Ok(())
}

pub(super) fn check_size(part: &str, size: u64, limit: u64) -> Result<(), PatchError> {
    if size > limit {
        return Err(PatchError::TooLarge {
            part: part.to_string(),
            size,
            limit,
        });
    }
    Ok(())
}

/// The deflate level of the parts a patch rewrites. Compressing the worksheet
/// takes most of a patch at the default level 6; level 3 takes about half as
/// long for a file about 9% larger (BENCHMARKS.md).
const PATCHED_PART_LEVEL: i64 = 3;

/// How a rewritten part is written: with its original method when the writer
/// has it, and deflated at [`PATCHED_PART_LEVEL`]. A stored part takes no level.
fn rewritten(
    options: zip::write::SimpleFileOptions,
    method: CompressionMethod,
) -> zip::write::SimpleFileOptions {
    let method = writable(method);
    let level = (method != CompressionMethod::Stored).then_some(PATCHED_PART_LEVEL);
    options.compression_method(method).compression_level(level)
}

/// How much of a part goes to the compressing thread at a time.
const CHUNK: usize = 1 << 16;

/// Runs `produce` with a writer whose bytes `sink` (a zip entry being written,
/// so compressed) takes on another thread when `beside` (a core is free, see
/// [`crate::workers`]): a part is then compressed while it is being patched.
fn compressing_beside<W, T>(
    sink: &mut W,
    beside: bool,
    produce: impl FnOnce(&mut dyn Write) -> Result<T, StreamError>,
) -> Result<T, StreamError>
where
    W: Write + Send,
{
    if !beside {
        let mut writer = BufWriter::with_capacity(CHUNK, Unflushed(sink));
        let value = produce(&mut writer)?;
        writer.flush()?;
        return Ok(value);
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(16);
        let consumer = scope.spawn(move || -> io::Result<()> {
            for chunk in receiver {
                sink.write_all(&chunk)?;
            }
            Ok(())
        });
        let mut writer = ChunkSender {
            sender,
            chunk: Vec::with_capacity(CHUNK),
        };
        let produced = produce(&mut writer).and_then(|value| {
            writer.flush()?;
            Ok(value)
        });
        drop(writer);
        let consumed = consumer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the compressing thread failed")));
        // A failed write on the compressing side is the cause; the producer then
        // only sees that its chunks are no longer taken.
        consumed?;
        produced
    })
}

/// A zip entry whose `flush` does nothing: flushing a deflated entry ends a
/// deflate block there, so a part flushed on the way would not be the same
/// bytes as when compressed beside (where only `finish` ends it). The
/// corrected file must not depend on how busy the machine was.
struct Unflushed<'w, W>(&'w mut W);

impl<W: Write> Write for Unflushed<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends what is written, in chunks, to the thread that compresses it.
struct ChunkSender {
    sender: std::sync::mpsc::SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.chunk.extend_from_slice(data);
        if self.chunk.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.sender.send(full).map_err(|_| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the compressing thread stopped")
        })
    }
}

/// A patched part is written with its original method when the writer has it.
fn writable(method: CompressionMethod) -> CompressionMethod {
    match method {
        CompressionMethod::Stored => CompressionMethod::Stored,
        _ => CompressionMethod::Deflated,
    }
}

/// Reads at most the declared size of an entry: a zip that lies about its sizes
/// fails instead of inflating without end.
pub(super) struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R> Bounded<R> {
    pub(super) fn new(inner: R, declared: u64) -> Self {
        Bounded {
            inner,
            left: declared,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One more byte than declared means the entry lied about its size.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the entry inflates to more than its declared size",
                )),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Where the worksheets and shared strings of the package are, found through the
/// package relationships (never assumed from part names).
pub(super) struct Layout {
    /// Sheet name → worksheet part name.
    pub(super) sheets: HashMap<String, String>,
    shared_strings: Option<String>,
    /// The workbook part's name and text.
    pub(super) workbook: String,
    workbook_xml: String,
    /// Every sheet part that can hold formulas (worksheets and macro sheets).
    formula_parts: Vec<String>,
    /// Whether the workbook has a calculation chain, which lists formula cells.
    calc_chain: bool,
}

impl Layout {
    pub(super) fn read<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Result<Layout, PatchError> {
        let root = read_small(archive, "_rels/.rels")?
            .ok_or_else(|| PatchError::Unsupported("the package has no _rels/.rels".into()))?;
        let workbook = relationships(&root, "_rels/.rels")?
            .into_iter()
            .find(|r| r.kind.ends_with(REL_OFFICE_DOCUMENT))
            .map(|r| resolve("", &r.target))
            .ok_or_else(|| PatchError::Unsupported("the package names no workbook part".into()))?;
        let workbook = part_name(archive, &workbook)
            .ok_or_else(|| PatchError::Unsupported(format!("part {workbook} is missing")))?;
        let rels_name = rels_of(&workbook);
        let rels = match read_small(archive, &rels_name)? {
            Some(xml) => relationships(&xml, &rels_name)?,
            None => Vec::new(),
        };
        let xml = read_small(archive, &workbook)?
            .ok_or_else(|| PatchError::Unsupported(format!("part {workbook} is missing")))?;
        let base = workbook.rsplit_once('/').map_or("", |(dir, _)| dir);
        let by_id: HashMap<&str, &Relationship> = rels.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut sheets = HashMap::new();
        let mut formula_parts = Vec::new();
        for (name, id) in workbook_sheets(&xml, &workbook)? {
            let Some(rel) = by_id.get(id.as_str()) else {
                continue;
            };
            if !REL_FORMULA_SHEETS
                .iter()
                .any(|kind| rel.kind.ends_with(kind))
            {
                continue;
            }
            let Some(part) = part_name(archive, &resolve(base, &rel.target)) else {
                continue;
            };
            if !formula_parts.contains(&part) {
                formula_parts.push(part.clone());
            }
            if rel.kind.ends_with(REL_WORKSHEET) {
                sheets.insert(name, part);
            }
        }
        let shared_strings = rels
            .iter()
            .find(|r| r.kind.ends_with(REL_SHARED_STRINGS))
            .and_then(|r| part_name(archive, &resolve(base, &r.target)));
        let calc_chain = rels.iter().any(|r| {
            r.kind.ends_with(REL_CALC_CHAIN)
                && part_name(archive, &resolve(base, &r.target)).is_some()
        });
        Ok(Layout {
            sheets,
            shared_strings,
            workbook,
            workbook_xml: xml,
            formula_parts,
            calc_chain,
        })
    }
}

/// The entry name of a part: as given, or matched without regard to case (part
/// names are case-insensitive in a package).
pub(super) fn part_name<R: Read + Seek>(archive: &ZipArchive<R>, name: &str) -> Option<String> {
    if archive.index_for_name(name).is_some() {
        return Some(name.to_string());
    }
    archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.eq_ignore_ascii_case(name))
        .map(|n| n.into_owned())
}

/// `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// A relationship target, resolved against the folder of its source part.
fn resolve(base: &str, target: &str) -> String {
    let mut segments: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    segments.join("/")
}

fn read_small<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
) -> Result<Option<String>, PatchError> {
    let Some(name) = part_name(archive, name) else {
        return Ok(None);
    };
    let file = archive.by_name(&name)?;
    let size = file.size();
    check_size(&name, size, MAX_MEMORY_PART)?;
    let mut text = String::with_capacity(size as usize);
    Bounded::new(file, size)
        .read_to_string(&mut text)
        .map_err(|e| PatchError::Part {
            part: name.clone(),
            detail: e.to_string(),
        })?;
    Ok(Some(text))
}

struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn xml_error(part: &str, error: impl std::fmt::Display) -> PatchError {
    PatchError::Part {
        part: part.to_string(),
        detail: error.to_string(),
    }
}

fn attribute(element: &BytesStart, local: &str, part: &str) -> Result<Option<String>, PatchError> {
    for attr in element.attributes().with_checks(false) {
        let attr = attr.map_err(|e| xml_error(part, e))?;
        if attr.key.local_name().as_ref() == local {
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| xml_error(part, e))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn relationships(xml: &str, part: &str) -> Result<Vec<Relationship>, PatchError> {
    let mut reader = Reader::from_str(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if attribute(&e, "TargetMode", part)?.as_deref() == Some("External") {
                    continue;
                }
                if let (Some(id), Some(kind), Some(target)) = (
                    attribute(&e, "Id", part)?,
                    attribute(&e, "Type", part)?,
                    attribute(&e, "Target", part)?,
                ) {
                    found.push(Relationship { id, kind, target });
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// (sheet name, relationship id) of every `<sheet>` of the workbook part.
fn workbook_sheets(xml: &str, part: &str) -> Result<Vec<(String, String)>, PatchError> {
    let mut reader = Reader::from_str(xml);
    let mut sheets = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let name = attribute(&e, "name", part)?;
                // The relationship id is the namespaced `r:id` (whatever its prefix).
                let mut id = None;
                for attr in e.attributes().with_checks(false) {
                    let attr = attr.map_err(|e| xml_error(part, e))?;
                    if attr.key.prefix().is_some() && attr.key.local_name().as_ref() == "id" {
                        id = Some(
                            attr.normalized_value(XmlVersion::Implicit1_0)
                                .map_err(|e| xml_error(part, e))?
                                .into_owned(),
                        );
                    }
                }
                if let (Some(name), Some(id)) = (name, id) {
                    sheets.push((name, id));
                }
            }
            _ => {}
        }
    }
    Ok(sheets)
}

/// An error while streaming one part, before the part's name is known to it.
#[derive(Debug)]
enum StreamError {
    Xml(String),
    Unsupported(String),
}

impl StreamError {
    fn in_part(self, part: &str) -> PatchError {
        match self {
            StreamError::Xml(detail) => PatchError::Part {
                part: part.to_string(),
                detail,
            },
            StreamError::Unsupported(detail) => {
                PatchError::Unsupported(format!("{part}: {detail}"))
            }
        }
    }
}

impl From<quick_xml::Error> for StreamError {
    fn from(error: quick_xml::Error) -> Self {
        StreamError::Xml(error.to_string())
    }
}

impl From<io::Error> for StreamError {
    fn from(error: io::Error) -> Self {
        StreamError::Xml(error.to_string())
    }
}

impl From<quick_xml::events::attributes::AttrError> for StreamError {
    fn from(error: quick_xml::events::attributes::AttrError) -> Self {
        StreamError::Xml(error.to_string())
    }
}

/// A reader that passes everything through as written: no trimming, no checks
/// that would refuse what Excel accepts. A UTF-8 byte order mark is taken off here
/// and written back by the caller, so the copy keeps it.
fn xml_reader<R: BufRead>(mut input: R) -> Result<(Reader<R>, bool), StreamError> {
    let head = input.fill_buf()?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(StreamError::Unsupported("the part is UTF-16".into()));
    }
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    if bom {
        input.consume(3);
    }
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.trim_markup_names_in_closing_tags = false;
    config.check_end_names = false;
    config.check_comments = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.expand_empty_elements = false;
    Ok((reader, bom))
}

fn check_declaration(event: &Event) -> Result<(), StreamError> {
    if let Event::Decl(decl) = event
        && let Some(Ok(encoding)) = decl.encoding()
        && !encoding.eq_ignore_ascii_case("utf-8")
        && !encoding.eq_ignore_ascii_case("utf8")
    {
        return Err(StreamError::Unsupported(format!(
            "the part is encoded as {encoding}"
        )));
    }
    Ok(())
}

/// The shared strings: how many the part holds, and the ones the patch adds.
#[derive(Default)]
struct SharedStrings {
    /// `None`: the package has no shared strings part.
    existing: Option<usize>,
    added: Vec<String>,
    index: HashMap<String, usize>,
}

impl SharedStrings {
    /// The index of `text` among the added strings, adding it once.
    fn index_of(&mut self, text: &str) -> Option<usize> {
        let existing = self.existing?;
        if let Some(&index) = self.index.get(text) {
            return Some(index);
        }
        let index = existing + self.added.len();
        self.added.push(text.to_string());
        self.index.insert(text.to_string(), index);
        Some(index)
    }
}

/// The number of `<si>` items of the shared strings part (its `uniqueCount`
/// attribute is not trusted: an index past the real end would show another string).
fn count_shared_strings<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    part: &str,
) -> Result<usize, PatchError> {
    let file = archive.by_name(part)?;
    let size = file.size();
    check_size(part, size, MAX_STREAMED_PART)?;
    let input = BufReader::with_capacity(1 << 16, Bounded::new(file, size));
    count_items(input).map_err(|e| e.in_part(part))
}

/// The number of `<si>` children of the shared strings' root.
fn count_items<R: BufRead>(input: R) -> Result<usize, StreamError> {
    let (mut reader, _) = xml_reader(input)?;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Eof | Event::Empty(_) => return Ok(0),
            Event::Start(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let mut count = 0;
    MarkupScanner::new(reader.into_inner()).walk_children(
        &mut io::sink(),
        |name| count += usize::from(local(name) == b"si"),
        |_, _| Ok(()),
    )?;
    Ok(count)
}

/// Copies the shared strings part, appending the added strings and keeping
/// `uniqueCount` true. `count` (references from cells) does not change: every
/// patched shared-string cell moved its one reference to a new string.
fn append_shared_strings<R: BufRead, W: Write>(
    input: R,
    output: W,
    strings: &SharedStrings,
) -> Result<(), StreamError> {
    let (mut reader, bom) = xml_reader(input)?;
    let mut writer = Writer::new(output);
    if bom {
        writer.get_mut().write_all(b"\xEF\xBB\xBF")?;
    }
    let unique = strings.existing.unwrap_or(0) + strings.added.len();
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf)?;
        check_declaration(&event)?;
        match &event {
            Event::Eof => {
                return Err(StreamError::Xml(
                    "the shared strings part has no root element".into(),
                ));
            }
            Event::Start(e) => {
                let start = with_attribute(e, "uniqueCount", &unique.to_string(), false)?;
                writer.write_event(Event::Start(start))?;
                break;
            }
            Event::Empty(e) => {
                // `<sst/>`: no strings yet.
                let start = with_attribute(e, "uniqueCount", &unique.to_string(), false)?;
                let prefix = prefix_of(&start);
                writer.write_event(Event::Start(start.borrow()))?;
                write_string_items(writer.get_mut(), &prefix, &strings.added)?;
                writer.write_event(Event::End(start.to_end()))?;
                let mut output = writer.into_inner();
                io::copy(&mut reader.into_inner(), &mut output)?;
                output.flush()?;
                return Ok(());
            }
            _ => writer.write_event(event)?,
        }
        buf.clear();
    }
    // The items are copied as they are; the new ones go before the end tag.
    let mut output = writer.into_inner();
    let mut scanner = MarkupScanner::new(reader.into_inner());
    scanner.walk_children(
        &mut output,
        |_| {},
        |output, name| {
            let prefix = match memchr::memrchr(b':', name) {
                Some(colon) => format!("{}:", String::from_utf8_lossy(&name[..colon])),
                None => String::new(),
            };
            write_string_items(output, &prefix, &strings.added)
        },
    )?;
    scanner.copy_rest(&mut output)?;
    output.flush()?;
    Ok(())
}

fn write_string_items<W: Write>(out: &mut W, prefix: &str, items: &[String]) -> io::Result<()> {
    for text in items {
        write!(
            out,
            "<{prefix}si><{prefix}t xml:space=\"preserve\">{}</{prefix}t></{prefix}si>",
            ooxml_text(text)
        )?;
    }
    Ok(())
}

/// `x:` for `<x:c>`, empty for `<c>`.
fn prefix_of(element: &BytesStart) -> String {
    element
        .name()
        .prefix()
        .map(|p| format!("{}:", p.as_ref()))
        .unwrap_or_default()
}

/// A copy of `element` with attribute `local` (unprefixed) set to `value`, every
/// other attribute kept raw and in order. The attribute is added at the end when
/// missing, if `add` is set.
fn with_attribute(
    element: &BytesStart,
    local: &str,
    value: &str,
    add: bool,
) -> Result<BytesStart<'static>, StreamError> {
    let mut text = String::from(element.name().as_ref());
    let mut found = false;
    for attr in element.attributes().with_checks(false) {
        let attr = attr?;
        let key = attr.key.as_ref();
        let raw: &str = if key == local {
            found = true;
            value
        } else {
            &attr.value
        };
        let quote = if raw.contains('"') { '\'' } else { '"' };
        text.push(' ');
        text.push_str(key);
        text.push('=');
        text.push(quote);
        text.push_str(raw);
        text.push(quote);
    }
    if !found && add {
        text.push_str(&format!(" {local}=\"{value}\""));
    }
    let name_len = element.name().as_ref().len();
    Ok(BytesStart::from_content(text, name_len))
}

/// First and last cell (row, col), 0-based and inclusive.
type CellRange = ((u32, u32), (u32, u32));

/// What patching one worksheet did.
#[derive(Debug, Default)]
struct SheetOutcome {
    /// In the order met.
    patched: Vec<(u32, u32)>,
    formulas: Vec<(u32, u32)>,
    /// Whether any cell of the sheet holds a formula.
    holds_formula: bool,
}

/// Streams a worksheet from `input` to `output`, replacing the value of each cell
/// in `edits` and passing everything else through as it was read. The rows are
/// copied as bytes (see [`MarkupScanner`]); only the rows with an edit or a formula
/// go through the XML reader and writer.
fn patch_sheet<R: BufRead, W: Write>(
    input: R,
    output: W,
    edits: &SheetEdits,
    strings: &mut SharedStrings,
) -> Result<SheetOutcome, StreamError> {
    let (mut reader, bom) = xml_reader(input)?;
    let mut writer = Writer::new(output);
    if bom {
        writer.get_mut().write_all(b"\xEF\xBB\xBF")?;
    }
    let mut rows = Rows::new(edits, strings);
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf)?;
        check_declaration(&event)?;
        match &event {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == "sheetData" => {
                writer.write_event(event)?;
                // The reader has taken nothing past the tag: the rows follow in
                // `input`, and after them nothing is patched.
                let mut output = writer.into_inner();
                MarkupScanner::new(reader.into_inner()).copy_rows(&mut output, &mut rows)?;
                output.flush()?;
                return Ok(rows.outcome);
            }
            _ => writer.write_event(event)?,
        }
        buf.clear();
    }
    writer.into_inner().flush()?;
    Ok(rows.outcome)
}

/// The state of patching the rows of one worksheet.
struct Rows<'e, 's> {
    edits: &'e SheetEdits<'e>,
    rows_with_edits: Vec<u32>,
    strings: &'s mut SharedStrings,
    outcome: SheetOutcome,
    /// The last row seen, for rows written without `r`.
    row: Option<u32>,
    /// Ranges of array formulas seen so far: their other cells hold results only,
    /// and a patched value there would break the array.
    arrays: Vec<CellRange>,
}

impl<'e, 's> Rows<'e, 's> {
    fn new(edits: &'e SheetEdits<'e>, strings: &'s mut SharedStrings) -> Self {
        let mut rows_with_edits: Vec<u32> = edits.keys().map(|&(row, _)| row).collect();
        rows_with_edits.sort_unstable();
        rows_with_edits.dedup();
        Rows {
            edits,
            rows_with_edits,
            strings,
            outcome: SheetOutcome::default(),
            row: None,
            arrays: Vec::new(),
        }
    }

    /// The 0-based number of the row that `start` (a `<row>` start tag) opens.
    fn number(&self, start: &BytesStart) -> Result<u32, StreamError> {
        match start.try_get_attribute("r")? {
            Some(r) => r
                .value
                .trim()
                .parse::<u32>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .ok_or_else(|| StreamError::Xml(format!("bad row number {:?}", r.value))),
            None => Ok(self.row.map_or(0, |r| r + 1)),
        }
    }

    fn has_edits(&self, row: u32) -> bool {
        self.rows_with_edits.binary_search(&row).is_ok()
    }

    /// Patches one `<row>` element, read whole into `xml`, through the XML
    /// reader and writer: its edited cells get their new values, and the ranges
    /// of its array formulas are noted.
    fn patch_row<W: Write>(&mut self, xml: &[u8], output: &mut W) -> Result<(), StreamError> {
        let (mut reader, _) = xml_reader(xml)?;
        let mut writer = Writer::new(output);
        let mut buf = Vec::new();
        let mut inner_buf = Vec::new();
        let mut col: Option<u32> = None;
        let mut row_has_edits = false;
        loop {
            let event = reader.read_event_into(&mut buf)?;
            match &event {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "row" => {
                        let current = self.number(e)?;
                        self.row = Some(current);
                        row_has_edits = self.has_edits(current);
                    }
                    "c" if row_has_edits => {
                        let (cell_row, cell_col) = match e.try_get_attribute("r")? {
                            Some(r) => parse_cell_ref(&r.value).ok_or_else(|| {
                                StreamError::Xml(format!("bad cell reference {:?}", r.value))
                            })?,
                            None => (self.row.unwrap_or(0), col.map_or(0, |c| c + 1)),
                        };
                        col = Some(cell_col);
                        if let Some(&(text, number)) = self.edits.get(&(cell_row, cell_col)) {
                            let start = e.to_owned();
                            let empty = matches!(event, Event::Empty(_));
                            buf.clear();
                            let (inner, end) = if empty {
                                (Vec::new(), None)
                            } else {
                                read_cell_content(&mut reader, &mut inner_buf)?
                            };
                            for event in &inner {
                                if let Event::Start(e) | Event::Empty(e) = event
                                    && e.local_name().as_ref() == "f"
                                {
                                    self.arrays.extend(array_range(e)?);
                                }
                            }
                            let in_array = self.arrays.iter().any(|&(first, last)| {
                                (first.0..=last.0).contains(&cell_row)
                                    && (first.1..=last.1).contains(&cell_col)
                            });
                            if in_array || inner.iter().any(is_formula) {
                                writer.write_event(Event::Start(start.borrow()))?;
                                for event in inner {
                                    writer.write_event(event)?;
                                }
                                if let Some(end) = end {
                                    writer.write_event(end)?;
                                }
                                self.outcome.formulas.push((cell_row, cell_col));
                            } else {
                                write_cell(
                                    &mut writer,
                                    &start,
                                    &inner,
                                    text,
                                    number,
                                    self.strings,
                                )?;
                                self.outcome.patched.push((cell_row, cell_col));
                            }
                            continue;
                        }
                    }
                    "f" => self.arrays.extend(array_range(e)?),
                    _ => {}
                },
                _ => {}
            }
            writer.write_event(event)?;
            buf.clear();
        }
        Ok(())
    }
}

/// Reads a part as bytes, markup by markup, copying what it passes over. A
/// worksheet's `<sheetData>` is read row by row: a row without an edit or a
/// formula is copied as it is, without being parsed; most rows of a corrected
/// export are such rows, and parsing and writing them again took most of the
/// time of a patch. The shared strings are counted and appended to the same way.
///
/// Only markup is looked at: `<` cannot appear unescaped in text or attribute
/// values, and comments, CDATA sections and processing instructions are passed
/// over whole, so a row ends exactly at its end tag.
struct MarkupScanner<R> {
    input: R,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    pos: usize,
    eof: bool,
}

/// What a markup that starts with `<` is; `end` is where it ends (after its `>`).
enum Markup {
    Start {
        name: Vec<u8>,
        end: usize,
        /// `<name …/>`.
        empty: bool,
    },
    End {
        name: Vec<u8>,
        end: usize,
    },
    /// A comment, CDATA section or processing instruction.
    Other {
        end: usize,
    },
}

/// The local part of an element name: `c` of `x:c`.
pub(super) fn local(name: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', name) {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

impl<R: BufRead> MarkupScanner<R> {
    const READ: usize = 1 << 16;

    fn new(input: R) -> Self {
        MarkupScanner {
            input,
            buf: Vec::with_capacity(Self::READ),
            pos: 0,
            eof: false,
        }
    }

    /// Reads more of the input; false at its end.
    fn more(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let chunk = self.input.fill_buf()?;
        if chunk.is_empty() {
            self.eof = true;
            return Ok(false);
        }
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.input.consume(n);
        Ok(true)
    }

    /// The index of the first byte at or after `from` that `find` finds.
    fn find(
        &mut self,
        from: usize,
        find: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<usize, StreamError> {
        let mut searched = from;
        loop {
            if let Some(i) = find(&self.buf[searched..]) {
                return Ok(searched + i);
            }
            // A match may start in the last few bytes searched.
            searched = self.buf.len().saturating_sub(8).max(from);
            if !self.more()? {
                return Err(StreamError::Xml("the sheet ends inside sheetData".into()));
            }
        }
    }

    /// At least `n` bytes from `at`, unless the input ends first.
    fn ensure(&mut self, at: usize, n: usize) -> io::Result<()> {
        while self.buf.len() < at + n && self.more()? {}
        Ok(())
    }

    /// The markup that starts at `at` (a `<`), and where it ends (after its `>`).
    fn markup(&mut self, at: usize) -> Result<Markup, StreamError> {
        self.ensure(at, 9)?;
        let head = &self.buf[at..];
        // The terminator is looked for after the whole opener: `<!-->` does not
        // end the comment it opens.
        let closing = |scanner: &mut Self, opener: &[u8], terminator: &'static [u8]| {
            let finder = memchr::memmem::Finder::new(terminator);
            scanner
                .find(at + opener.len(), |b| finder.find(b))
                .map(|i| Markup::Other {
                    end: i + terminator.len(),
                })
        };
        for (opener, terminator) in [
            (&b"<!--"[..], &b"-->"[..]),
            (b"<![CDATA[", b"]]>"),
            (b"<?", b"?>"),
        ] {
            if head.starts_with(opener) {
                return closing(self, opener, terminator);
            }
        }
        let is_end = head.get(1) == Some(&b'/');
        let name_start = at + if is_end { 2 } else { 1 };
        let name_end = self.find(name_start, |b| {
            b.iter()
                .position(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
        })?;
        let name = self.buf[name_start..name_end].to_vec();
        // The `>` that ends the tag is the first one outside quotes.
        let mut i = name_end;
        let end = loop {
            let at_mark = self.find(i, |b| memchr::memchr3(b'>', b'"', b'\'', b))?;
            let mark = self.buf[at_mark];
            if mark == b'>' {
                break at_mark + 1;
            }
            i = self.find(at_mark + 1, |b| memchr::memchr(mark, b))? + 1;
        };
        Ok(if is_end {
            Markup::End { name, end }
        } else {
            let empty = self.buf[end - 2] == b'/';
            Markup::Start { name, end, empty }
        })
    }

    /// Copies the rows to `output`, patching those that need it, then everything
    /// after `</sheetData>` as it is.
    fn copy_rows<W: Write>(mut self, output: &mut W, rows: &mut Rows) -> Result<(), StreamError> {
        loop {
            // Nothing before `pos` is needed again; dropped once it is a read's worth.
            if self.pos >= Self::READ {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            let open = match self.find(self.pos, |b| memchr::memchr(b'<', b)) {
                Ok(open) => open,
                Err(e) => {
                    output.write_all(&self.buf[self.pos..])?;
                    return Err(e);
                }
            };
            output.write_all(&self.buf[self.pos..open])?;
            match self.markup(open)? {
                Markup::End { name, .. } if local(&name) == b"sheetData" => {
                    self.pos = open;
                    return self.copy_rest(output);
                }
                Markup::Other { end } => {
                    output.write_all(&self.buf[open..end])?;
                    self.pos = end;
                }
                Markup::Start { name, end, empty } if local(&name) == b"row" => {
                    let row_end = self.row_end(end, empty)?;
                    let xml = &self.buf[open..row_end.end];
                    let start = start_tag(&xml[..end - open]);
                    let number = rows.number(&start)?;
                    rows.outcome.holds_formula |= row_end.formula;
                    if row_end.formula || rows.has_edits(number) {
                        rows.patch_row(xml, output)?;
                    } else {
                        output.write_all(xml)?;
                        rows.row = Some(number);
                    }
                    self.pos = row_end.end;
                }
                Markup::Start { name, .. } | Markup::End { name, .. } => {
                    return Err(StreamError::Unsupported(format!(
                        "unexpected <{}> in sheetData",
                        String::from_utf8_lossy(&name)
                    )));
                }
            }
        }
    }

    /// Copies what is left, from `pos` to the end of the input.
    fn copy_rest<W: Write>(mut self, output: &mut W) -> Result<(), StreamError> {
        output.write_all(&self.buf[self.pos..])?;
        io::copy(&mut self.input, output)?;
        Ok(())
    }

    /// Walks the children of the element whose start tag was read last, up to its
    /// end tag, copying every byte to `output`. `child` sees each start tag of a
    /// direct child; `before_end`, the element's name, before its end tag is copied.
    fn walk_children<W: Write>(
        &mut self,
        output: &mut W,
        mut child: impl FnMut(&[u8]),
        before_end: impl FnOnce(&mut W, &[u8]) -> io::Result<()>,
    ) -> Result<(), StreamError> {
        let mut depth = 0usize;
        loop {
            if self.pos >= Self::READ {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            let open = self.find(self.pos, |b| memchr::memchr(b'<', b))?;
            output.write_all(&self.buf[self.pos..open])?;
            let end = match self.markup(open)? {
                Markup::Start { name, end, empty } => {
                    if depth == 0 {
                        child(&name);
                    }
                    if !empty {
                        depth += 1;
                    }
                    end
                }
                Markup::End { name, .. } if depth == 0 => {
                    before_end(output, &name)?;
                    self.pos = open;
                    return Ok(());
                }
                Markup::End { end, .. } => {
                    depth -= 1;
                    end
                }
                Markup::Other { end } => end,
            };
            output.write_all(&self.buf[open..end])?;
            self.pos = end;
        }
    }

    /// Where the row whose start tag ends at `tag_end` ends, and whether it holds
    /// a formula.
    fn row_end(&mut self, tag_end: usize, empty: bool) -> Result<RowEnd, StreamError> {
        if empty {
            return Ok(RowEnd {
                end: tag_end,
                formula: false,
            });
        }
        let mut formula = false;
        let mut at = tag_end;
        loop {
            let open = self.find(at, |b| memchr::memchr(b'<', b))?;
            match self.markup(open)? {
                Markup::End { name, end } if local(&name) == b"row" => {
                    return Ok(RowEnd { end, formula });
                }
                Markup::Start { name, end, .. } => {
                    formula |= local(&name) == b"f";
                    at = end;
                }
                Markup::End { end, .. } | Markup::Other { end } => at = end,
            }
        }
    }
}

struct RowEnd {
    end: usize,
    formula: bool,
}

/// The start tag `<row …>` or `<row …/>` as the XML reader would give it.
fn start_tag(tag: &[u8]) -> BytesStart<'_> {
    let inner = tag
        .strip_suffix(b"/>")
        .or_else(|| tag.strip_suffix(b">"))
        .unwrap_or(tag);
    let inner = inner.strip_prefix(b"<").unwrap_or(inner);
    let name_len = inner
        .iter()
        .position(|c| c.is_ascii_whitespace() || *c == b'/')
        .unwrap_or(inner.len());
    BytesStart::from_content(String::from_utf8_lossy(inner), name_len)
}

/// The events inside a `<c>` up to its end tag (returned apart).
fn read_cell_content<R: BufRead>(
    reader: &mut Reader<R>,
    buf: &mut Vec<u8>,
) -> Result<(Vec<Event<'static>>, Option<Event<'static>>), StreamError> {
    let mut inner = Vec::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let event = reader.read_event_into(buf)?.into_owned();
        match &event {
            Event::Eof => return Err(StreamError::Xml("the sheet ends inside a cell".into())),
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Ok((inner, Some(event))),
            Event::End(_) => depth -= 1,
            _ => {}
        }
        inner.push(event);
    }
}

/// The range of an array formula (`<f t="array" ref="A1:A3">`).
fn array_range(f: &BytesStart) -> Result<Option<CellRange>, StreamError> {
    if f.try_get_attribute("t")?
        .is_none_or(|t| t.value.as_ref() != "array")
    {
        return Ok(None);
    }
    let Some(reference) = f.try_get_attribute("ref")? else {
        return Ok(None);
    };
    let mut ends = reference.value.split(':').map(parse_cell_ref);
    Ok(match ends.next() {
        Some(Some(first)) => Some((first, ends.next().flatten().unwrap_or(first))),
        _ => None,
    })
}

fn is_formula(event: &Event) -> bool {
    matches!(event, Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "f")
}

/// Writes the cell with its attributes (style `s`, `r`, …) kept and its value set to
/// `text`: a shared-string cell gets an appended shared string, any other an inline
/// string. Children other than the value (`extLst`) are kept.
fn write_cell<W: Write>(
    writer: &mut Writer<W>,
    start: &BytesStart,
    inner: &[Event],
    text: &str,
    number: bool,
    strings: &mut SharedStrings,
) -> Result<(), StreamError> {
    let shared = start
        .try_get_attribute("t")?
        .is_some_and(|t| t.value.as_ref() == "s");
    let index = if shared && !number {
        strings.index_of(text)
    } else {
        None
    };
    let prefix = prefix_of(start);
    // `t="n"` is the default type; a number cell keeps its style and needs no other.
    let cell_type = if number {
        "n"
    } else if index.is_some() {
        "s"
    } else {
        "inlineStr"
    };
    let start = with_attribute(start, "t", cell_type, true)?;
    writer.write_event(Event::Start(start.borrow()))?;
    let out = writer.get_mut();
    match index {
        _ if number => write!(out, "<{prefix}v>{}</{prefix}v>", ooxml_text(text))?,
        Some(index) => write!(out, "<{prefix}v>{index}</{prefix}v>")?,
        None => write!(
            out,
            "<{prefix}is><{prefix}t xml:space=\"preserve\">{}</{prefix}t></{prefix}is>",
            ooxml_text(text)
        )?,
    }
    // Keep what is not the old value.
    let mut skipping = 0usize;
    for event in inner {
        if skipping > 0 {
            match event {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) if matches!(e.local_name().as_ref(), "v" | "is") => skipping = 1,
            Event::Empty(e) if matches!(e.local_name().as_ref(), "v" | "is") => {}
            other => writer.write_event(other.borrow())?,
        }
    }
    writer.write_event(Event::End(start.to_end()))?;
    Ok(())
}

/// Text escaped for a `<t>` element: XML escapes, and OOXML's `_xHHHH_` for the
/// characters XML cannot hold (and for a literal `_xHHHH_`, so it reads back as typed).
fn ooxml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    for (i, ch) in text.char_indices() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            '_' if looks_escaped(&bytes[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `bytes` starts with `_xHHHH_`.
fn looks_escaped(bytes: &[u8]) -> bool {
    bytes.len() >= 7
        && bytes[0] == b'_'
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// `F12` → (11, 5), 0-based.
pub(super) fn parse_cell_ref(reference: &str) -> Option<(u32, u32)> {
    let reference = reference.trim();
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col = 0u32;
    for b in letters.bytes() {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        col = col * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1;
    }
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", crate::diagnostic::column_letter(col), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(
        xml: &str,
        edits: &[((u32, u32), &str)],
        existing: Option<usize>,
    ) -> (String, SheetOutcome, Vec<String>) {
        let edits: HashMap<(u32, u32), (&str, bool)> = edits
            .iter()
            .map(|&(at, text)| (at, (text, false)))
            .collect();
        let mut strings = SharedStrings {
            existing,
            ..SharedStrings::default()
        };
        let mut out = Vec::new();
        let outcome = patch_sheet(xml.as_bytes(), &mut out, &edits, &mut strings).unwrap();
        (String::from_utf8(out).unwrap(), outcome, strings.added)
    }

    const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1" spans="1:2" hidden="1"><c r="A1" s="3" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>a  b</t></is></c></row><row r="2"><c r="A2" s="1"><f>B1&amp;" x"</f><v>a  b x</v></c><c r="B2"><v>12</v></c></row></sheetData><dataValidations count="1"><dataValidation sqref="A1"/></dataValidations></worksheet>"#;

    #[test]
    fn only_the_edited_cells_change() {
        let (out, outcome, added) =
            patch(SHEET, &[((0, 0), "KAOS HITAM"), ((0, 1), "a b")], Some(5));
        assert_eq!(outcome.patched.len(), 2);
        assert_eq!(added, ["KAOS HITAM"]);
        let expected = SHEET
            .replace(
                r#"<c r="A1" s="3" t="s"><v>0</v></c>"#,
                r#"<c r="A1" s="3" t="s"><v>5</v></c>"#,
            )
            .replace(
                r#"<c r="B1" t="inlineStr"><is><t>a  b</t></is></c>"#,
                r#"<c r="B1" t="inlineStr"><is><t xml:space="preserve">a b</t></is></c>"#,
            );
        assert_eq!(out, expected);
    }

    #[test]
    fn untouched_sheets_pass_through_byte_for_byte() {
        let (out, outcome, _) = patch(SHEET, &[], Some(1));
        assert_eq!(out, SHEET);
        assert!(outcome.patched.is_empty());
    }

    #[test]
    fn formula_cells_are_left_alone_and_reported() {
        let (out, outcome, _) = patch(SHEET, &[((1, 0), "a b x")], Some(1));
        assert_eq!(out, SHEET);
        assert_eq!(outcome.formulas, [(1, 0)]);
        assert!(outcome.patched.is_empty());
    }

    #[test]
    fn cells_inside_an_array_formula_are_left_alone() {
        let xml = r#"<worksheet><sheetData><row r="1"><c r="A1"><f t="array" ref="A1:A2">B1:B2</f><v>1</v></c><c r="B1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c><c r="B2"><v>2</v></c></row></sheetData></worksheet>"#;
        let (out, outcome, _) = patch(xml, &[((1, 0), "x"), ((1, 1), "y")], None);
        assert_eq!(outcome.formulas, [(1, 0)]);
        assert_eq!(outcome.patched, [(1, 1)]);
        assert!(out.contains(r#"<c r="A2"><v>2</v></c>"#), "{out}");
        // Also when the formula's own cell is among the edits.
        let (_, outcome, _) = patch(xml, &[((0, 0), "x"), ((1, 0), "y")], None);
        assert_eq!(outcome.formulas, [(0, 0), (1, 0)]);
    }

    #[test]
    fn a_number_cell_becomes_an_inline_string_keeping_its_style() {
        let (out, ..) = patch(SHEET, &[((1, 1), "12 A")], Some(1));
        assert!(
            out.contains(
                r#"<c r="B2" t="inlineStr"><is><t xml:space="preserve">12 A</t></is></c>"#
            ),
            "{out}"
        );
    }

    #[test]
    fn cells_and_rows_without_references_are_counted() {
        let xml = r#"<worksheet><sheetData><row><c t="s"><v>0</v></c></row><row><c><v>1</v></c><c s="2" t="str"><v>x  y</v></c></row></sheetData></worksheet>"#;
        let (out, outcome, _) = patch(xml, &[((1, 1), "x y")], None);
        assert_eq!(outcome.patched, [(1, 1)]);
        assert!(
            out.contains(r#"<c s="2" t="inlineStr"><is><t xml:space="preserve">x y</t></is></c>"#),
            "{out}"
        );
    }

    #[test]
    fn prefixed_elements_keep_their_prefix() {
        let xml = r#"<x:worksheet xmlns:x="urn:main"><x:sheetData><x:row r="3"><x:c r="C3" t="inlineStr"><x:is><x:t>a  b</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"#;
        let (out, ..) = patch(xml, &[((2, 2), "a b")], None);
        assert!(
            out.contains(r#"<x:c r="C3" t="inlineStr"><x:is><x:t xml:space="preserve">a b</x:t></x:is></x:c>"#),
            "{out}"
        );
    }

    #[test]
    fn a_utf8_bom_is_kept_and_utf16_is_refused() {
        let xml = format!("\u{FEFF}{SHEET}");
        let (out, ..) = patch(&xml, &[], Some(1));
        assert_eq!(out, xml);
        let utf16 = SHEET.replace("UTF-8", "UTF-16");
        let mut strings = SharedStrings::default();
        let result = patch_sheet(utf16.as_bytes(), Vec::new(), &HashMap::new(), &mut strings);
        assert!(matches!(result, Err(StreamError::Unsupported(_))));
    }

    /// Rows are found by their markup only: comments, CDATA and processing
    /// instructions that hold row-like text, `>` inside attribute values, and
    /// unusual spacing must neither end a row early nor change its bytes.
    #[test]
    fn rows_are_copied_byte_for_byte_whatever_their_markup_holds() {
        let rows = concat!(
            "\n  <row r='1' x:a=\"1>2\"><c r=\"A1\" t=\"inlineStr\"><is><t>a &gt; b</t></is></c>",
            "<!-- </row><row r=\"9\"> --></row >\n",
            "<?skip </row> ?><row r=\"2\"/>",
            "<row r=\"3\"><c r=\"A3\" t=\"str\"><v><![CDATA[</row><f>]]></v></c></row>",
            "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>x  y</t></is></c></row>",
        );
        let xml = format!("<worksheet><sheetData>{rows}</sheetData><tail a=\"<\"/></worksheet>");
        let (out, outcome, _) = patch(&xml, &[((3, 0), "x y")], None);
        assert_eq!(outcome.patched, [(3, 0)]);
        let expected = xml.replace(
            "<c r=\"A4\" t=\"inlineStr\"><is><t>x  y</t></is></c>",
            "<c r=\"A4\" t=\"inlineStr\"><is><t xml:space=\"preserve\">x y</t></is></c>",
        );
        assert_eq!(out, expected);
        // Nothing to patch: the part is unchanged, byte for byte.
        let (out, ..) = patch(&xml, &[], None);
        assert_eq!(out, xml);
    }

    #[test]
    fn a_sheet_cut_off_inside_its_rows_is_refused() {
        let xml = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c>"#;
        let edits = HashMap::from([((0, 0), ("2", false))]);
        let result = patch_sheet(
            xml.as_bytes(),
            Vec::new(),
            &edits,
            &mut SharedStrings::default(),
        );
        assert!(matches!(result, Err(StreamError::Xml(_))));
    }

    /// The scanner refills its buffer from the reader: whatever size the
    /// reader's reads are, the output is that of one read of everything.
    #[test]
    fn reads_of_any_size_give_the_same_output() {
        let rows = concat!(
            "\n  <row r='1' x:a=\"1>2\"><c r=\"A1\" t=\"inlineStr\"><is><t>a &gt; b</t></is></c>",
            "<!-- </row><row r=\"9\"> --></row >\n",
            "<?skip </row> ?><row r=\"2\"/>",
            "<row r=\"3\"><c r=\"A3\" t=\"str\"><v><![CDATA[</row><f>]]></v></c></row>",
            "<x:row r=\"4\"><x:c r=\"A4\" t=\"inlineStr\"><x:is><x:t>x  y</x:t></x:is></x:c></x:row>",
            "<row r=\"5\"><c r=\"A5\"><f t=\"array\" ref=\"A5:A6\">1</f><v>1</v></c></row>",
            "<row><c r=\"A6\"><v>1</v></c></row>",
        );
        let xml =
            format!("\u{feff}<worksheet><sheetData>{rows}</sheetData><tail a=\"<\"/></worksheet>");
        let edits: HashMap<(u32, u32), (&str, bool)> =
            HashMap::from([((3, 0), ("x y", false)), ((5, 0), ("2", false))]);
        let run = |cap: usize| {
            let mut out = Vec::new();
            let mut strings = SharedStrings::default();
            let input = io::BufReader::with_capacity(cap, xml.as_bytes());
            let outcome = patch_sheet(input, &mut out, &edits, &mut strings).unwrap();
            (
                String::from_utf8(out).unwrap(),
                outcome.patched,
                outcome.formulas,
            )
        };
        let whole = run(1 << 16);
        assert_eq!(whole.1, [(3, 0)]);
        assert_eq!(whole.2, [(5, 0)]);
        for cap in 1..40 {
            assert_eq!(run(cap), whole, "reads of {cap} bytes");
        }
        let sst = "<x:sst xmlns:x=\"urn:main\" uniqueCount=\"1\"><x:si><x:t>a</x:t></x:si><!-- <x:si> --><x:si/></x:sst>\n<!-- end -->";
        let strings = SharedStrings {
            existing: Some(2),
            added: vec!["b".into()],
            index: HashMap::new(),
        };
        let run = |cap: usize| {
            let mut out = Vec::new();
            append_shared_strings(
                io::BufReader::with_capacity(cap, sst.as_bytes()),
                &mut out,
                &strings,
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let whole = run(1 << 16);
        for cap in 1..40 {
            assert_eq!(run(cap), whole, "reads of {cap} bytes");
        }
    }

    /// A part is the same bytes whether it is compressed beside or not: the
    /// corrected file must not depend on how busy the machine was.
    #[test]
    fn a_part_is_the_same_bytes_compressed_beside_or_not() {
        let compressed = |beside: bool| {
            let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(PATCHED_PART_LEVEL));
            zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
            compressing_beside(&mut zip, beside, |writer| {
                for row in 0..40_000 {
                    write!(writer, "<row r=\"{row}\"><c><v>{}</v></c></row>", row * 7)?;
                    if row % 10_000 == 0 {
                        writer.flush()?;
                    }
                }
                Ok(())
            })
            .unwrap();
            zip.finish().unwrap().into_inner()
        };
        assert!(compressed(false) == compressed(true));
    }

    /// When the compressing side fails, its error is the one reported.
    #[test]
    fn the_compressing_threads_error_is_reported() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("no space left on device"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let result = compressing_beside(&mut Full, true, |writer| {
            for _ in 0..64 {
                writer.write_all(&[b'x'; CHUNK])?;
            }
            Ok(())
        });
        let message = match result {
            Err(StreamError::Xml(m)) => m,
            other => panic!("{:?}", other.is_ok()),
        };
        assert!(message.contains("no space left"), "{message}");
    }

    /// `<!-->` does not end a comment (XML 1.0 §2.5: the text of `<!--> x -->`
    /// is `> x `). Ending it there counted an item inside the comment, and the
    /// added strings got wrong indices.
    #[test]
    fn a_comment_whose_text_starts_with_a_gt_is_one_comment() {
        let sst = "<sst><!--> <si><t>ghost</t></si> --><si><t>a</t></si></sst>";
        // What an XML parser sees: one item.
        let (mut reader, _) = xml_reader(sst.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let mut parsed = 0;
        loop {
            match reader.read_event_into(&mut buf).unwrap() {
                Event::Eof => break,
                Event::Start(e) if e.local_name().as_ref() == "si" => parsed += 1,
                _ => {}
            }
            buf.clear();
        }
        assert_eq!(parsed, 1);
        assert_eq!(count_items(sst.as_bytes()).unwrap(), parsed);
    }

    #[test]
    fn shared_strings_keep_their_prefix_and_what_follows_the_root() {
        let sst = "<x:sst xmlns:x=\"urn:main\" uniqueCount=\"1\"><x:si><x:t>a</x:t></x:si></x:sst>\n<!-- end -->";
        let strings = SharedStrings {
            existing: Some(1),
            added: vec!["b".into()],
            index: HashMap::new(),
        };
        let mut out = Vec::new();
        append_shared_strings(sst.as_bytes(), &mut out, &strings).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<x:sst xmlns:x=\"urn:main\" uniqueCount=\"2\"><x:si><x:t>a</x:t></x:si><x:si><x:t xml:space=\"preserve\">b</x:t></x:si></x:sst>\n<!-- end -->"
        );
        let mut out = Vec::new();
        append_shared_strings("<sst/>".as_bytes(), &mut out, &strings).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            // `uniqueCount` is optional: kept true where it is, not added.
            "<sst><si><t xml:space=\"preserve\">b</t></si></sst>"
        );
    }

    #[test]
    fn shared_string_items_are_counted_at_the_top_level_only() {
        let sst =
            "<sst><si><t>a</t></si><!-- <si> --><si/><si><r><t>b</t></r><si>nested</si></si></sst>";
        assert_eq!(count_items(sst.as_bytes()).unwrap(), 3);
        assert_eq!(count_items("<sst/>".as_bytes()).unwrap(), 0);
    }

    /// One row of a generated worksheet: its markup, and the `r` and XML of
    /// its inline-string cells, which an edit may target.
    fn generated_row(
        number: u32,
        texts: &[String],
        comment: Option<&str>,
        cdata: Option<&str>,
        quoted: bool,
    ) -> (String, Vec<(String, String)>) {
        let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;");
        let mut cells = Vec::new();
        let mut xml = if quoted {
            format!("<row r='{number}' x:note=\"a>b'\">")
        } else {
            format!("<row r=\"{number}\">")
        };
        for (i, text) in texts.iter().enumerate() {
            let r = format!("{}{number}", (b'A' + i as u8) as char);
            let cell = format!(
                r#"<c r="{r}" t="inlineStr"><is><t>{}</t></is></c>"#,
                escape(text)
            );
            xml.push_str(&cell);
            cells.push((r, cell));
        }
        if let Some(comment) = comment {
            xml.push_str(&format!("<!--{}-->", comment.replace('-', "_")));
        }
        if let Some(cdata) = cdata {
            xml.push_str(&format!(
                r#"<c r="Z{number}" t="str"><v><![CDATA[{}]]></v></c>"#,
                cdata.replace("]]>", "")
            ));
        }
        xml.push_str("</row>\n");
        (xml, cells)
    }

    proptest::proptest! {
        /// Whatever the rows hold, a sheet without edits is copied byte for byte,
        /// and one edit changes exactly one cell.
        #[test]
        fn the_row_scanner_changes_only_the_edited_cell(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec("[ -~]{0,12}", 1..4),
                    proptest::option::of("[ -~]{0,12}"),
                    proptest::option::of(r"[ -~]{0,8}(</row>|<f>|<row r=.1.>)?"),
                    proptest::bool::ANY,
                ),
                1..12,
            ),
            pick in proptest::num::usize::ANY,
        ) {
            let mut body = String::new();
            let mut cells = Vec::new();
            for (i, (texts, comment, cdata, quoted)) in rows.iter().enumerate() {
                let (xml, row_cells) =
                    generated_row(i as u32 + 1, texts, comment.as_deref(), cdata.as_deref(), *quoted);
                body.push_str(&xml);
                cells.extend(row_cells);
            }
            let sheet = format!("<worksheet><sheetData>\n{body}</sheetData></worksheet>");
            let (out, outcome, _) = patch(&sheet, &[], None);
            proptest::prop_assert_eq!(&out, &sheet);
            proptest::prop_assert!(outcome.patched.is_empty());

            let (r, cell) = &cells[pick % cells.len()];
            let at = parse_cell_ref(r).unwrap();
            let (out, outcome, _) = patch(&sheet, &[(at, "NEW  SKU")], None);
            proptest::prop_assert_eq!(outcome.patched, vec![at]);
            let new_cell = format!(
                r#"<c r="{r}" t="inlineStr"><is><t xml:space="preserve">NEW  SKU</t></is></c>"#
            );
            proptest::prop_assert_eq!(out, sheet.replacen(cell.as_str(), &new_cell, 1));
        }
    }

    #[test]
    fn the_recalculation_flag_is_set_keeping_the_other_attributes() {
        let part = "xl/workbook.xml";
        let head = r#"<?xml version="1.0"?><workbook xmlns="urn:main"><sheets><sheet name="A" r:id="rId1"/></sheets>"#;
        // Set on an existing calcPr, in either form, its attributes kept raw.
        let xml = format!(r#"{head}<calcPr calcId='191029' iterate="1"/></workbook>"#);
        assert_eq!(
            full_calc_on_load(&xml, part).unwrap().unwrap(),
            format!(r#"{head}<calcPr calcId="191029" iterate="1" fullCalcOnLoad="1"/></workbook>"#)
        );
        let xml = format!(r#"{head}<calcPr fullCalcOnLoad="0" calcId="1"></calcPr></workbook>"#);
        assert_eq!(
            full_calc_on_load(&xml, part).unwrap().unwrap(),
            format!(r#"{head}<calcPr fullCalcOnLoad="1" calcId="1"></calcPr></workbook>"#)
        );
        // Already set: nothing to rewrite.
        let xml = format!(r#"{head}<calcPr calcId="1" fullCalcOnLoad="true"/></workbook>"#);
        assert!(full_calc_on_load(&xml, part).unwrap().is_none());
        // Missing: added after the defined names, before what follows calcPr.
        let xml = format!(
            r#"{head}<definedNames><definedName name="x">A!$A$2</definedName></definedNames><pivotCaches/><extLst/></workbook>"#
        );
        assert_eq!(
            full_calc_on_load(&xml, part).unwrap().unwrap(),
            format!(
                r#"{head}<definedNames><definedName name="x">A!$A$2</definedName></definedNames><calcPr fullCalcOnLoad="1"/><pivotCaches/><extLst/></workbook>"#
            )
        );
        // Missing, nothing after it: before the end tag, with the root's prefix.
        let xml = r#"<x:workbook xmlns:x="urn:main"><x:sheets/></x:workbook>"#;
        assert_eq!(
            full_calc_on_load(xml, part).unwrap().unwrap(),
            r#"<x:workbook xmlns:x="urn:main"><x:sheets/><x:calcPr fullCalcOnLoad="1"/></x:workbook>"#
        );
        // A calcPr deeper down (inside an extension) is not the workbook's.
        let xml = format!(r#"{head}<extLst><ext><calcPr/></ext></extLst></workbook>"#);
        assert_eq!(
            full_calc_on_load(&xml, part).unwrap().unwrap(),
            format!(
                r#"{head}<calcPr fullCalcOnLoad="1"/><extLst><ext><calcPr/></ext></extLst></workbook>"#
            )
        );
    }

    #[test]
    fn formula_elements_are_found_across_reads() {
        let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><x:f>A1</x:f><v>1</v></c></row></sheetData></worksheet>"#;
        for cap in 1..12 {
            let input = io::BufReader::with_capacity(cap, sheet.as_bytes());
            assert!(
                holds_formula_element(input).unwrap(),
                "reads of {cap} bytes"
            );
        }
        let plain = r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>f &lt;f&gt; f</t></is></c><fx/><c><v>1</v></c></row></sheetData><ignoredErrors/></worksheet>"#;
        for cap in 1..12 {
            let input = io::BufReader::with_capacity(cap, plain.as_bytes());
            assert!(
                !holds_formula_element(input).unwrap(),
                "reads of {cap} bytes"
            );
        }
    }

    #[test]
    fn text_is_escaped_for_ooxml() {
        assert_eq!(ooxml_text("A&B <x>"), "A&amp;B &lt;x&gt;");
        assert_eq!(ooxml_text("a\rb"), "a_x000D_b");
        assert_eq!(ooxml_text("SKU_x0041_1"), "SKU_x005F_x0041_1");
        assert_eq!(ooxml_text("SKU_x41_"), "SKU_x41_");
    }

    #[test]
    fn shared_strings_are_appended_and_counted() {
        let sst = r#"<?xml version="1.0"?><sst xmlns="urn:main" count="3" uniqueCount="2"><si><t>a</t></si><si><r><t>b</t></r></si></sst>"#;
        let strings = SharedStrings {
            existing: Some(2),
            added: vec!["c & d".into(), " e".into()],
            index: HashMap::new(),
        };
        let mut out = Vec::new();
        append_shared_strings(sst.as_bytes(), &mut out, &strings).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<?xml version="1.0"?><sst xmlns="urn:main" count="3" uniqueCount="4"><si><t>a</t></si><si><r><t>b</t></r></si><si><t xml:space="preserve">c &amp; d</t></si><si><t xml:space="preserve"> e</t></si></sst>"#
        );
    }

    #[test]
    fn an_edit_adds_each_new_string_once() {
        let mut strings = SharedStrings {
            existing: Some(7),
            ..SharedStrings::default()
        };
        assert_eq!(strings.index_of("a"), Some(7));
        assert_eq!(strings.index_of("b"), Some(8));
        assert_eq!(strings.index_of("a"), Some(7));
        assert_eq!(SharedStrings::default().index_of("a"), None);
    }

    #[test]
    fn targets_resolve_against_their_part() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(resolve("xl", "/xl/worksheets/a.xml"), "xl/worksheets/a.xml");
        assert_eq!(
            resolve("xl/sub", "../sharedStrings.xml"),
            "xl/sharedStrings.xml"
        );
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
        assert_eq!(parse_cell_ref("AB12"), Some((11, 27)));
        assert_eq!(parse_cell_ref("12"), None);
    }

    /// A small workbook whose sheet part claims `size` bytes uncompressed.
    fn claiming(size: u32) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .write_string(0, 0, "KAOS  HITAM")
            .unwrap();
        let mut bytes = book.save_to_buffer().unwrap();
        let name = b"xl/worksheets/sheet1.xml";
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(4).position(|w| w == b"PK\x01\x02") {
            let header = at + found;
            let name_len = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
            if &bytes[header + 46..header + 46 + name_len] == name {
                bytes[header + 24..header + 28].copy_from_slice(&size.to_le_bytes());
            }
            at = header + 4;
        }
        bytes
    }

    #[test]
    fn a_part_claiming_an_absurd_size_is_refused() {
        let edit = CellEdit {
            sheet: "Sheet1",
            row: 0,
            col: 0,
            text: "KAOS HITAM",
            number: false,
        };
        let error = xlsx(&claiming(0xF000_0000), &[edit]).unwrap_err();
        assert!(matches!(error, PatchError::TooLarge { .. }), "{error}");
        // Claiming less than it holds: reading stops at the claim and fails.
        let error = xlsx(&claiming(100), &[edit]).unwrap_err();
        assert!(matches!(error, PatchError::Part { .. }), "{error}");
    }

    #[test]
    fn a_lying_entry_size_is_an_error() {
        let mut reader = Bounded::new(&b"0123456789"[..], 4);
        let mut out = Vec::new();
        assert!(reader.read_to_end(&mut out).is_err());
        let mut reader = Bounded::new(&b"0123"[..], 4);
        let mut out = Vec::new();
        assert_eq!(reader.read_to_end(&mut out).unwrap(), 4);
    }
}
