//! Reading a UTF-8 CSV/TSV file row by row, without holding it: `check` streams
//! long CSV exports through this. Rows are numbered as [`super::csv::records`]
//! numbers them (as Excel shows the file): a blank line is an empty row, and a
//! line break inside quotes stays inside its cell.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::Value;
use super::csv::sniff_delimiter;
pub use super::rows::NotStreamed;
use super::rows::RowSource;

/// How much of the file the delimiter is sniffed from.
const HEAD: usize = 64 * 1024;

/// The rows of a CSV file, one at a time.
pub struct CsvRows {
    /// Where the rows are read from, to read them again.
    path: PathBuf,
    tab: bool,
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
    /// The row the next record is on, if no blank line comes first.
    next_row: usize,
    /// The line the reader stood on after the previous record.
    next_line: u64,
    /// The file's length and whether its last byte ends a line: the last record
    /// may have no line break.
    length: u64,
    ends_with_newline: bool,
}

impl CsvRows {
    /// Opens a UTF-8 file (with or without a BOM). `tab` says the file is a TSV.
    pub fn open(path: &Path, tab: bool) -> Result<CsvRows, NotStreamed> {
        let mut file = File::open(path)?;
        let mut head = Vec::with_capacity(HEAD);
        (&mut file).take(HEAD as u64).read_to_end(&mut head)?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(NotStreamed::Encoding);
        }
        // A workbook, an HTML page or binary data named `.csv` is the whole-file
        // reader's to recognize or refuse.
        if super::probe::content(&head) != super::probe::Content::Text {
            return Err(NotStreamed::NotText);
        }
        // Lines ended by a lone CR (old Mac files) are rows to the whole-file
        // reader, whose row numbers count them; the csv parser counts `\n` only.
        let lone_cr = head.iter().enumerate().any(|(i, &b)| {
            b == b'\r' && head.get(i + 1).map_or(head.len() < HEAD, |&n| n != b'\n')
        });
        if lone_cr {
            return Err(NotStreamed::Whole);
        }
        let bom = if head.starts_with(super::csv::UTF8_BOM) {
            super::csv::UTF8_BOM.len()
        } else {
            0
        };
        let delimiter = delimiter_of(&head, tab);
        let length = file.metadata()?.len();
        let mut last = [0u8];
        if length > 0 {
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
        }
        file.seek(SeekFrom::Start(bom as u64))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(BufReader::with_capacity(256 * 1024, file));
        Ok(CsvRows {
            path: path.to_path_buf(),
            tab,
            reader,
            record: csv::ByteRecord::new(),
            next_row: 0,
            next_line: 1,
            length: length - bom as u64,
            ends_with_newline: last[0] == b'\n',
        })
    }

    /// The next row that is not blank: its 0-based row number and its cells
    /// (trailing empty fields kept, like the whole-file reader).
    pub fn next_row(&mut self) -> Result<Option<(usize, Vec<Value>)>, NotStreamed> {
        let mut cells = Vec::new();
        Ok(self.next_into(&mut cells)?.map(|row| (row, cells)))
    }

    /// [`CsvRows::next_row`] into a vector the caller reuses.
    pub fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed> {
        cells.clear();
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(_) => return Err(NotStreamed::Malformed),
        }
        // The csv parser skips blank lines; each is an empty row. Where the record
        // started is told by where it ended, less the line breaks inside its cells.
        let after = self.reader.position();
        let terminated = after.byte() != self.length || self.ends_with_newline;
        let inside = self
            .record
            .iter()
            .map(|field| field.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum::<u64>();
        let start = after.line() - inside - u64::from(terminated);
        let row = self.next_row + start.saturating_sub(self.next_line) as usize;
        self.next_row = row + 1;
        self.next_line = after.line();
        // A row past the limits is left to the whole-file reader, which says so.
        if crate::table::csv::check_row(
            self.record.len(),
            self.record.iter().map(<[u8]>::len),
            start,
        )
        .is_err()
        {
            return Err(NotStreamed::Malformed);
        }
        for field in &self.record {
            cells.push(if field.is_empty() {
                Value::Empty
            } else {
                match std::str::from_utf8(field) {
                    Ok(text) => Value::Text(text.to_string()),
                    Err(_) => return Err(NotStreamed::Encoding),
                }
            });
        }
        Ok(Some(row))
    }
}

/// The delimiter of a file streamed, sniffed from its first [`HEAD`] bytes
/// (`start`, the file or its beginning), after any BOM.
pub fn delimiter_of(start: &[u8], tab: bool) -> u8 {
    if tab {
        return b'\t';
    }
    let head = &start[..start.len().min(HEAD)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // A multi-byte character may be cut at the end of the head: sniff the
    // valid part.
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).expect("valid up to here"),
    };
    sniff_delimiter(text)
}

impl RowSource for CsvRows {
    fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed> {
        CsvRows::next_into(self, cells)
    }

    /// The file is read again: rows cost nothing to keep between the passes.
    fn reads_again(&self) -> bool {
        true
    }

    fn again(&mut self) -> Result<Box<dyn RowSource + '_>, NotStreamed> {
        Ok(Box::new(CsvRows::open(&self.path, self.tab)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Format;

    /// Every row the whole-file reader sees, with its number, is seen here too.
    fn assert_same_rows(text: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, text).unwrap();
        let (sheet, _) = crate::table::csv::read_csv(text, Format::Csv, "rows").unwrap();
        let expected: Vec<(usize, Vec<Value>)> = sheet
            .rows
            .into_iter()
            .enumerate()
            .filter(|(_, cells)| !cells.is_empty())
            .collect();
        let mut rows = CsvRows::open(&path, false).unwrap();
        let mut streamed = Vec::new();
        while let Some(row) = rows.next_row().unwrap() {
            streamed.push(row);
        }
        assert_eq!(streamed, expected, "{}", String::from_utf8_lossy(text));
    }

    #[test]
    fn rows_are_numbered_like_the_whole_file_reader() {
        assert_same_rows(b"SKU,Name\n\nA-1,\"two\nlines\"\nA-2,x");
        assert_same_rows(b"SKU,Name\r\n\r\n\r\nA-1,x\r\nA-2,\r\n\r\n");
        assert_same_rows(b"\xEF\xBB\xBFSKU;Stock\n\"A;1\";5\n\n\"B\"\"2\";\n");
        assert_same_rows(b"a\tb\n\n\nc\td\n");
        assert_same_rows(b"only\n");
        assert_same_rows(b"A\n\nB");
        assert_same_rows(b"A\n\n\"B\nC\"\n\nD,\"E\r\nF\"");
    }

    #[test]
    fn utf16_and_bad_bytes_are_left_to_the_whole_file_reader() {
        let dir = tempfile::tempdir().unwrap();
        let utf16 = dir.path().join("utf16.csv");
        std::fs::write(&utf16, [0xFF, 0xFE, b'A', 0]).unwrap();
        assert!(matches!(
            CsvRows::open(&utf16, false),
            Err(NotStreamed::Encoding)
        ));
        let latin1 = dir.path().join("latin1.csv");
        std::fs::write(&latin1, b"SKU,Name\nA,Caf\xE9\n").unwrap();
        let mut rows = CsvRows::open(&latin1, false).unwrap();
        rows.next_row().unwrap();
        assert!(matches!(rows.next_row(), Err(NotStreamed::Encoding)));
    }
}
