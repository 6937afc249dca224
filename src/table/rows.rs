//! Rows one at a time, for `check` on long files (src/engine/stream.rs): what
//! every streamed format gives.

use std::io;

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
    /// An xlsx sheet read for its cell values has formulas: it is streamed
    /// again with them.
    Formulas,
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

    /// Whether the rows are parsed on a thread beside the caller's.
    fn parses_beside(&self) -> bool {
        false
    }

    /// Whether [`RowSource::again`] reads the rows again at little cost (a CSV
    /// file); otherwise (an xlsx sheet's XML) the caller keeps a copy of the
    /// rows it needs instead.
    fn reads_again(&self) -> bool {
        false
    }

    /// The rows again, from the first, for a second pass.
    fn again(&mut self) -> Result<Box<dyn RowSource + '_>, NotStreamed> {
        Err(NotStreamed::Whole)
    }
}
