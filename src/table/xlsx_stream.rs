//! Reading the worksheet of an xlsx/xlsm workbook row by row, without holding
//! it: `check` streams long workbooks through this. The cells come from
//! calamine's streaming cell reader and become values exactly as the
//! whole-file reader ([`super::read`]) makes them; a row is complete when a
//! cell of a later row arrives.
//!
//! Only workbooks with one worksheet are streamed: which sheets hold a listing
//! is decided on all of them. A workbook the whole-file reader would refuse,
//! or read with a notice, is left to it.
//!
//! When a second worker thread is free, a thread parses the sheet while the
//! caller lints the rows already parsed; rows are handed over in batches,
//! a few at a time, so memory stays bounded.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{DataRef, Reader, Xlsx, XlsxCellReader};

use super::read::{self, Limits};
use super::rows::{NotStreamed, RowSource};
use super::{Format, FormulaCell, Value, Visibility};

/// Rows handed over at a time.
const BATCH_ROWS: usize = 1024;
/// Batches parsed ahead of the rows linted.
const BATCHES_AHEAD: usize = 4;

/// A workbook opened to stream its one worksheet.
pub struct XlsxBook {
    workbook: Xlsx<BufReader<File>>,
    pub format: Format,
    /// The worksheet's name and visibility.
    pub sheet: String,
    pub visibility: Visibility,
}

/// Opens `path` to stream it, when the whole-file reader would read it as the
/// xlsx/xlsm workbook its name says, without a notice, within `limits`, and
/// it has one worksheet.
pub fn open(path: &Path, limits: &Limits) -> Result<XlsxBook, NotStreamed> {
    let declared = read::declared_format(path).map_err(|_| NotStreamed::Whole)?;
    if !matches!(declared, Format::Xlsx | Format::Xlsm) {
        return Err(NotStreamed::Whole);
    }
    let mut file = File::open(path)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(limits.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.is_empty() || read::check_file_size(bytes.len() as u64, limits).is_err() {
        return Err(NotStreamed::Whole);
    }
    let mut notices = Vec::new();
    let format = read::real_format(&bytes, declared, limits, &mut notices)
        .map_err(|_| NotStreamed::Whole)?;
    if format != declared || !notices.is_empty() {
        return Err(NotStreamed::Whole);
    }
    // The bytes were only needed to check the file; the reader reads the open
    // file, so that memory does not hold it twice. Changed meanwhile, the
    // file is the whole-file reader's.
    let length = bytes.len() as u64;
    drop(bytes);
    std::io::Seek::rewind(&mut file)?;
    if file.metadata()?.len() != length {
        return Err(NotStreamed::Whole);
    }
    let workbook = read::guarded(|| Xlsx::new(BufReader::new(file)))
        .ok()
        .and_then(Result::ok)
        .ok_or(NotStreamed::Whole)?;
    let [meta] = read::worksheets(workbook.sheets_metadata())
        .try_into()
        .map_err(|_| NotStreamed::Whole)?;
    Ok(XlsxBook {
        workbook,
        format,
        sheet: meta.name,
        visibility: read::visibility(meta.visible),
    })
}

/// Calls `lint` with the worksheet's rows.
pub fn with_rows<T>(
    mut book: XlsxBook,
    lint: impl FnOnce(&mut dyn RowSource) -> T,
) -> Result<T, NotStreamed> {
    if rayon::current_num_threads() < 2 {
        let reader = book
            .workbook
            .worksheet_cells_reader(&book.sheet)
            .map_err(|_| NotStreamed::Whole)?;
        let mut source = XlsxSource {
            feed: Feed::Here(Box::new(CellRows::new(reader))),
            batch: Vec::new().into_iter(),
            formulas: Vec::new(),
        };
        return Ok(lint(&mut source));
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(BATCHES_AHEAD);
        scope.spawn(move || parse(book, sender));
        let mut source = XlsxSource {
            feed: Feed::Thread(receiver),
            batch: Vec::new().into_iter(),
            formulas: Vec::new(),
        };
        // The source, and with it the receiver, is dropped before the scope
        // waits for the parser: a parser ahead of a caller that stopped early
        // then stops too.
        Ok(lint(&mut source))
    })
}

/// What the parser thread hands over.
enum Parsed {
    Rows(Vec<(usize, Vec<Value>)>),
    /// The sheet is read: its formula cells.
    End(Vec<FormulaCell>),
    Failed,
}

/// The parser thread: batches of rows until the sheet ends, it fails or
/// nobody takes them any more. A crash of the reader fails the stream; the
/// whole-file reader then reports it.
fn parse(mut book: XlsxBook, sender: SyncSender<Parsed>) {
    let outcome = read::guarded(|| -> Result<Vec<FormulaCell>, NotStreamed> {
        let reader = book
            .workbook
            .worksheet_cells_reader(&book.sheet)
            .map_err(|_| NotStreamed::Whole)?;
        let mut rows = CellRows::new(reader);
        loop {
            let batch = rows.batch()?;
            if batch.is_empty() {
                return Ok(std::mem::take(&mut rows.formulas));
            }
            if sender.send(Parsed::Rows(batch)).is_err() {
                return Err(NotStreamed::Whole);
            }
        }
    });
    let _ = sender.send(match outcome {
        Ok(Ok(formulas)) => Parsed::End(formulas),
        _ => Parsed::Failed,
    });
}

/// Where the rows come from: this thread's reader, or a parser thread.
enum Feed<'a> {
    Here(Box<CellRows<'a>>),
    Thread(Receiver<Parsed>),
    Done,
}

struct XlsxSource<'a> {
    feed: Feed<'a>,
    batch: std::vec::IntoIter<(usize, Vec<Value>)>,
    formulas: Vec<FormulaCell>,
}

impl RowSource for XlsxSource<'_> {
    fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed> {
        loop {
            if let Some((row, read)) = self.batch.next() {
                *cells = read;
                return Ok(Some(row));
            }
            let batch = match &mut self.feed {
                Feed::Here(rows) => {
                    let batch =
                        read::guarded(|| rows.batch()).map_err(|_| NotStreamed::Whole)??;
                    if batch.is_empty() {
                        self.formulas = std::mem::take(&mut rows.formulas);
                        self.feed = Feed::Done;
                    }
                    batch
                }
                Feed::Thread(receiver) => match receiver.recv() {
                    Ok(Parsed::Rows(batch)) => batch,
                    Ok(Parsed::End(formulas)) => {
                        self.formulas = formulas;
                        self.feed = Feed::Done;
                        Vec::new()
                    }
                    Ok(Parsed::Failed) | Err(_) => {
                        self.feed = Feed::Done;
                        return Err(NotStreamed::Whole);
                    }
                },
                Feed::Done => return Ok(None),
            };
            self.batch = batch.into_iter();
        }
    }

    fn formulas(&mut self) -> Vec<FormulaCell> {
        std::mem::take(&mut self.formulas)
    }
}

/// Rows assembled from the cells of a worksheet, which come row by row.
struct CellRows<'a> {
    reader: XlsxCellReader<'a, BufReader<File>>,
    /// The first cell of the next row, read with the row before it.
    pending: Option<(u32, u32, Value)>,
    /// The last row given, and its length: the next row is likely as long.
    last: Option<u32>,
    width: usize,
    /// Whether the sheet has ended: the reader must not be asked again.
    ended: bool,
    formulas: Vec<FormulaCell>,
}

impl<'a> CellRows<'a> {
    fn new(reader: XlsxCellReader<'a, BufReader<File>>) -> Self {
        CellRows {
            reader,
            pending: None,
            last: None,
            width: 0,
            ended: false,
            formulas: Vec::new(),
        }
    }

    /// Up to [`BATCH_ROWS`] rows; none at the end of the sheet.
    fn batch(&mut self) -> Result<Vec<(usize, Vec<Value>)>, NotStreamed> {
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while batch.len() < BATCH_ROWS {
            match self.next_row()? {
                Some(row) => batch.push(row),
                None => break,
            }
        }
        Ok(batch)
    }

    /// The next row with a non-empty cell. Cells are placed as the whole-file
    /// reader places them; a sheet whose rows are not in order is left to it.
    fn next_row(&mut self) -> Result<Option<(usize, Vec<Value>)>, NotStreamed> {
        let mut current: Option<(u32, Vec<Value>)> = None;
        if let Some((row, col, value)) = self.pending.take() {
            let mut cells = Vec::with_capacity(self.width);
            place(&mut cells, col, value);
            current = Some((row, cells));
        }
        while !self.ended {
            let cell = self
                .reader
                .next_cell_with_formula()
                .map_err(|_| NotStreamed::Whole)?;
            let Some(cell) = cell else {
                self.ended = true;
                break;
            };
            self.formulas.extend(read::formula_of(&cell));
            if cell.value == DataRef::Empty {
                continue;
            }
            let (row, col) = cell.pos;
            if row >= read::MAX_ROWS || col >= read::MAX_COLS || self.last >= Some(row) {
                return Err(NotStreamed::Whole);
            }
            let value = read::value_of_ref(&cell.value);
            match &mut current {
                None => {
                    let mut cells = Vec::with_capacity(self.width);
                    place(&mut cells, col, value);
                    current = Some((row, cells));
                }
                Some((at, cells)) if *at == row => place(cells, col, value),
                Some((at, _)) if *at < row => {
                    self.pending = Some((row, col, value));
                    let (at, cells) = current.take().expect("a row is being read");
                    return Ok(Some(self.give(at, cells)));
                }
                Some(_) => return Err(NotStreamed::Whole),
            }
        }
        Ok(current.map(|(row, cells)| self.give(row, cells)))
    }

    fn give(&mut self, row: u32, cells: Vec<Value>) -> (usize, Vec<Value>) {
        self.last = Some(row);
        self.width = cells.len();
        (row as usize, cells)
    }
}

/// A cell into its row, as the whole-file reader's grid places it: the row
/// grows to the cell, and a later cell at the same place wins.
fn place(cells: &mut Vec<Value>, col: u32, value: Value) {
    let col = col as usize;
    if cells.len() == col {
        cells.push(value);
        return;
    }
    if cells.len() < col {
        cells.resize(col + 1, Value::Empty);
    }
    cells[col] = value;
}
