//! Rows one at a time, for `check` on long files (src/engine/stream.rs): what
//! every streamed format gives ([`RowSource`]), and a temporary copy of the
//! rows read ([`RowSpill`]), so that a second pass need not parse the file again.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use super::{FormulaCell, Value};

/// Why a file is not read row by row; the caller reads it whole instead,
/// where every encoding, layout and error is handled.
#[derive(Debug)]
pub enum NotStreamed {
    /// UTF-16, or bytes that are not UTF-8.
    Encoding,
    /// The parser refused the file.
    Malformed,
    /// The file starts as something else than text.
    NotText,
    /// The file is not one the streamed reader takes as it is (another format
    /// than its name says, several worksheets, cells out of order, a limit
    /// reached): the whole-file reader says what it makes of it.
    Whole,
    Io(io::Error),
}

impl From<io::Error> for NotStreamed {
    fn from(error: io::Error) -> Self {
        NotStreamed::Io(error)
    }
}

/// The rows of one sheet in order, as the whole-file reader numbers them.
pub trait RowSource {
    /// The next row that has a cell: its 0-based row number, rows in increasing
    /// order, with its cells (up to its last non-empty one) put into `cells`.
    fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed>;

    /// The formula cells of the rows read, once they all are.
    fn formulas(&mut self) -> Vec<FormulaCell> {
        Vec::new()
    }

    /// The rows again, from the first, for a second pass.
    fn again(&mut self) -> Result<Box<dyn RowSource + '_>, NotStreamed>;
}

/// The rows read so far, in a temporary file, to be read again in order.
pub struct RowSpill {
    writer: BufWriter<File>,
    record: Vec<u8>,
}

impl RowSpill {
    pub fn new() -> io::Result<Self> {
        Ok(RowSpill {
            writer: BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            record: Vec::new(),
        })
    }

    /// Keeps one row: its length, then the row number and cells.
    pub fn push(&mut self, row: usize, cells: &[Value]) -> Result<(), NotStreamed> {
        self.record.clear();
        let record = std::mem::take(&mut self.record);
        self.record = postcard::to_extend(&(row, cells), record).map_err(|_| NotStreamed::Whole)?;
        let len = u32::try_from(self.record.len()).map_err(|_| NotStreamed::Whole)?;
        self.writer.write_all(&len.to_le_bytes())?;
        self.writer.write_all(&self.record)?;
        Ok(())
    }

    /// The rows kept, from the first.
    pub fn replay(&mut self) -> Result<SpilledRows<'_>, NotStreamed> {
        self.writer.flush()?;
        let file = self.writer.get_mut();
        file.seek(SeekFrom::Start(0))?;
        Ok(SpilledRows {
            reader: BufReader::with_capacity(256 * 1024, file),
            record: Vec::new(),
        })
    }
}

/// The rows of a [`RowSpill`], read again.
pub struct SpilledRows<'a> {
    reader: BufReader<&'a mut File>,
    record: Vec<u8>,
}

impl RowSource for SpilledRows<'_> {
    fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed> {
        let mut len = [0u8; 4];
        match self.reader.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        self.record.resize(u32::from_le_bytes(len) as usize, 0);
        self.reader.read_exact(&mut self.record)?;
        let (row, read): (usize, Vec<Value>) =
            postcard::from_bytes(&self.record).map_err(|_| NotStreamed::Whole)?;
        *cells = read;
        Ok(Some(row))
    }

    /// Read twice, the rows are the same: a caller reading a replay again gets
    /// nothing new, so it is refused rather than read from the middle.
    fn again(&mut self) -> Result<Box<dyn RowSource + '_>, NotStreamed> {
        Err(NotStreamed::Whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_gives_back_every_row_and_value_type() {
        let rows = vec![
            (
                0,
                vec![Value::Text("SKU".into()), Value::Empty, Value::Bool(true)],
            ),
            (3, vec![]),
            (
                7,
                vec![
                    Value::Int(-12),
                    Value::Float(0.1),
                    Value::DateTime(45_000.5),
                    Value::Iso("2024-01-02".into()),
                    Value::Error("#N/A".into()),
                    Value::Text("KAOS\u{200b} HITAM".into()),
                ],
            ),
        ];
        let mut spill = RowSpill::new().unwrap();
        for (row, cells) in &rows {
            spill.push(*row, cells).unwrap();
        }
        let mut replay = spill.replay().unwrap();
        let mut read = Vec::new();
        let mut cells = Vec::new();
        while let Some(row) = replay.next_into(&mut cells).unwrap() {
            read.push((row, std::mem::take(&mut cells)));
        }
        assert_eq!(read, rows);
    }
}
