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
//! When a core is free (see [`crate::workers`]), a thread parses the sheet while the
//! caller makes values and rows of the cells already parsed and lints them;
//! cells are handed over in batches, a few at a time, so memory stays bounded.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Cell, DataRef, Reader, Xlsx, XlsxCellReader};

use super::inflating::{Package, PartTags, Watch};
use super::read::{self, Limits};
use super::rows::{NotStreamed, RowSource};
use super::{Format, FormulaCell, Value, Visibility};

/// Cells handed over at a time.
const BATCH_CELLS: usize = 4096;
/// Cells read between looks at what the package saw ahead of the parser.
const LOOK_EVERY: u64 = 32;
/// The shared strings part, beside the workbook part.
const SHARED_STRINGS: &str = "sharedStrings.xml";
/// Batches parsed ahead of the rows linted.
const BATCHES_AHEAD: usize = 4;

/// A workbook opened to stream its one worksheet, read as `R`: cell values
/// only ([`Values`]), or with formulas ([`Package`]).
pub struct XlsxBook<R = Values> {
    workbook: Xlsx<R>,
    /// Which part calamine read last: the worksheet, once its reader is made.
    watch: Watch,
    pub format: Format,
    /// The worksheet's name and visibility.
    pub sheet: String,
    pub visibility: Visibility,
}

/// The package read for its cell values only. A type of its own, so that
/// calamine's cell reader is compiled for values alone: its value parsing is
/// then inlined into it, which the reader that also reads formulas does not
/// get (BENCHMARKS.md).
pub struct Values(Package);

impl Read for Values {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Seek for Values {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

/// How calamine reads the package and its cells.
pub trait Reading: Read + std::io::Seek + Sized {
    fn of(package: Package) -> Self;

    /// The next cell, its formula into `formulas`.
    fn next_cell<'a>(
        reader: &mut XlsxCellReader<'a, Self>,
        formulas: &mut Vec<FormulaCell>,
    ) -> Result<Option<RawCell<'a>>, NotStreamed>;

    /// Whether formulas are read.
    const FORMULAS: bool;
}

impl Reading for Values {
    fn of(package: Package) -> Self {
        Values(package)
    }

    #[inline(always)]
    fn next_cell<'a>(
        reader: &mut XlsxCellReader<'a, Self>,
        _: &mut Vec<FormulaCell>,
    ) -> Result<Option<RawCell<'a>>, NotStreamed> {
        reader.next_cell().map_err(|_| NotStreamed::Whole)
    }

    const FORMULAS: bool = false;
}

impl Reading for Package {
    fn of(package: Package) -> Self {
        package
    }

    fn next_cell<'a>(
        reader: &mut XlsxCellReader<'a, Self>,
        formulas: &mut Vec<FormulaCell>,
    ) -> Result<Option<RawCell<'a>>, NotStreamed> {
        let Some(cell) = reader
            .next_cell_with_formula()
            .map_err(|_| NotStreamed::Whole)?
        else {
            return Ok(None);
        };
        // Without the package's look ahead, the cells tell.
        if read::is_inline_string(&cell) {
            return Err(NotStreamed::Whole);
        }
        formulas.extend(read::formula_of(&cell));
        Ok(Some(Cell::new(cell.pos, cell.value)))
    }

    const FORMULAS: bool = true;
}

/// Opens `path` to stream it, when the whole-file reader would read it as the
/// xlsx/xlsm workbook its name says, without a notice, within `limits`, and
/// it has one worksheet; read as `R` (see [`XlsxBook`]).
pub fn open<R: Reading>(path: &Path, limits: &Limits) -> Result<XlsxBook<R>, NotStreamed> {
    let declared = read::declared_format(path).map_err(|_| NotStreamed::Whole)?;
    if !matches!(declared, Format::Xlsx | Format::Xlsm) {
        return Err(NotStreamed::Whole);
    }
    let mut file = File::open(path)?;
    // Sized to the file: a doubling buffer would hold up to twice its bytes.
    let length = file.metadata()?.len().min(limits.max_file_size);
    let mut bytes = Vec::with_capacity(usize::try_from(length.saturating_add(1)).unwrap_or(0));
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
    // With a second thread, calamine reads the package with its large parts
    // inflated ahead (see inflating). It reads them from the file: the bytes
    // read for the checks above are let go before the shared strings are
    // loaded, unless they are to be scanned for trimmed texts below. A file
    // changed meanwhile fails the parts' checksums, and is the whole-file
    // reader's.
    let package = Package::from_file(path, &bytes);
    let kept = (!package.inflates_ahead(SHARED_STRINGS)).then_some(bytes);
    let watch = package.watch();
    let workbook = read::guarded(|| Xlsx::new(R::of(package)))
        .ok()
        .and_then(Result::ok)
        .ok_or(NotStreamed::Whole)?;
    // Shared strings that the cell reader trims are restored by the whole-file
    // reader (see raw_text), which sees the whole sheet. A shared strings part
    // inflated ahead was looked at on the way; any other is scanned here.
    let untrimmed = watch
        .ending_with(SHARED_STRINGS)
        .is_some_and(|tags| tags.untrimmed());
    if !untrimmed {
        let bytes = match kept {
            Some(bytes) => bytes,
            None => std::fs::read(path)?,
        };
        if read::guarded(|| super::raw_text::Package::new(&bytes))
            .map_or(true, |package| !package.shared.is_empty())
        {
            return Err(NotStreamed::Whole);
        }
    }
    let [meta] = read::worksheets(workbook.sheets_metadata())
        .try_into()
        .map_err(|_| NotStreamed::Whole)?;
    Ok(XlsxBook {
        workbook,
        watch,
        format,
        sheet: meta.name,
        visibility: read::visibility(meta.visible),
    })
}

/// Calls `lint` with the worksheet's rows. A sheet read for its values that
/// turns out to have formulas fails with [`NotStreamed::Formulas`], whatever
/// `lint` made of the rows it got: it is to be read again with them.
pub fn with_rows<R: Reading + Send + 'static, T>(
    mut book: XlsxBook<R>,
    lint: impl FnOnce(&mut dyn RowSource) -> T,
) -> Result<T, NotStreamed> {
    let linted = lint_sheet(&mut book, lint);
    if let Err(NotStreamed::Formulas) = linted {
        // Freed before the sheet is opened again, not beside it.
        drop(book);
    } else {
        // The report is made while the workbook's shared strings are freed.
        crate::workers::free_beside(book);
    }
    linted
}

fn lint_sheet<R: Reading + Send, T>(
    book: &mut XlsxBook<R>,
    lint: impl FnOnce(&mut dyn RowSource) -> T,
) -> Result<T, NotStreamed> {
    let reader = book
        .workbook
        .worksheet_cells_reader(&book.sheet)
        .map_err(|_| NotStreamed::Whole)?;
    let tags = book.watch.last();
    // Without a look ahead at the markup, formulas are read from the first cell.
    if tags.is_none() && !R::FORMULAS {
        return Err(NotStreamed::Formulas);
    }
    let cells = SheetCells::<R>::new(reader, tags);
    let checked = |source: CellRows<R>, linted: T| {
        if source.formulas_met {
            Err(NotStreamed::Formulas)
        } else {
            Ok(linted)
        }
    };
    if !crate::workers::spare() {
        let mut source = CellRows::new(Cells::Here(Box::new(cells)));
        let linted = lint(&mut source);
        return checked(source, linted);
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(BATCHES_AHEAD);
        scope.spawn(move || parse(cells, sender));
        let mut source = CellRows::new(Cells::Sent(receiver));
        let linted = lint(&mut source);
        // The source, and with it the receiver, is dropped before the scope
        // waits for the parser: a parser ahead of a caller that stopped early
        // then stops too.
        checked(source, linted)
    })
}

/// A cell as parsed: its position and value, which may borrow the
/// workbook's shared strings. Batched as calamine gives it: each move of a
/// cell on the parser's thread costs (BENCHMARKS.md).
type RawCell<'a> = Cell<DataRef<'a>>;

/// The non-empty cells of the worksheet, with its formula cells.
///
/// Reading a cell's formula costs calamine a look at every element of the
/// cell, and its value parsing is then not inlined: a sheet is first read for
/// its values ([`Values`]), while the package looks ahead for formula elements
/// ([`PartTags`]). A sheet where it sees one, or which it cannot look at, is
/// read again with its formulas from the first cell. A sheet with inline
/// strings (seen by the package ahead, or in the cells read with their
/// formulas) is the whole-file reader's: its raw text scan keeps the edges
/// calamine trims.
struct SheetCells<'a, R: Reading> {
    reader: XlsxCellReader<'a, R>,
    tags: Option<Arc<PartTags>>,
    /// Cells read so far.
    cells: u64,
    formulas: Vec<FormulaCell>,
}

impl<'a, R: Reading> SheetCells<'a, R> {
    fn new(reader: XlsxCellReader<'a, R>, tags: Option<Arc<PartTags>>) -> Self {
        SheetCells {
            reader,
            tags,
            cells: 0,
            formulas: Vec::new(),
        }
    }

    /// Whether the package saw what this reading cannot give.
    fn unreadable(&self) -> Option<NotStreamed> {
        let tags = self.tags.as_ref()?;
        if tags.has_inline_string() {
            Some(NotStreamed::Whole)
        } else if !R::FORMULAS && tags.first_formula().is_some() {
            Some(NotStreamed::Formulas)
        } else {
            None
        }
    }

    /// Adds non-empty cells to `batch` until it holds `up_to`; false once the
    /// sheet has ended. The cells go from calamine's result straight into the
    /// batch.
    #[inline(always)]
    fn fill(&mut self, batch: &mut Vec<RawCell<'a>>, up_to: usize) -> Result<bool, NotStreamed> {
        while batch.len() < up_to {
            // The tags are looked at every few cells: a sheet found to have
            // formulas is read again anyway.
            if self.cells.is_multiple_of(LOOK_EVERY)
                && let Some(stop) = self.unreadable()
            {
                return Err(stop);
            }
            self.cells += 1;
            match R::next_cell(&mut self.reader, &mut self.formulas)? {
                Some(cell) => {
                    if *cell.get_value() != DataRef::Empty {
                        batch.push(cell);
                    }
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The formula cells, once the sheet is read.
    fn finish(self) -> Result<Vec<FormulaCell>, NotStreamed> {
        match self.unreadable() {
            Some(stop) => Err(stop),
            None => Ok(self.formulas),
        }
    }
}

/// What the parser thread hands over.
enum Parsed<'a> {
    Cells(Vec<RawCell<'a>>),
    /// The sheet is read: its formula cells.
    End(Vec<FormulaCell>),
    /// The sheet has formulas, which this reading does not give.
    Formulas,
    Failed,
}

/// The parser thread: batches of non-empty cells until the sheet ends, it
/// fails or nobody takes them any more. It only parses: the values and rows
/// are made on the thread that lints them. A crash of the reader fails the
/// stream; the whole-file reader then reports it.
fn parse<'a, R: Reading>(mut cells: SheetCells<'a, R>, sender: SyncSender<Parsed<'a>>) {
    let outcome = read::guarded(|| -> Result<Vec<FormulaCell>, NotStreamed> {
        loop {
            let mut batch = Vec::with_capacity(BATCH_CELLS);
            let more = cells.fill(&mut batch, BATCH_CELLS)?;
            if sender.send(Parsed::Cells(batch)).is_err() {
                return Err(NotStreamed::Whole);
            }
            if !more {
                return cells.finish();
            }
        }
    });
    let _ = sender.send(match outcome {
        Ok(Ok(formulas)) => Parsed::End(formulas),
        Ok(Err(NotStreamed::Formulas)) => Parsed::Formulas,
        _ => Parsed::Failed,
    });
}

/// Where the cells come from: this thread's reader, or a parser thread.
enum Cells<'a, R: Reading> {
    Here(Box<SheetCells<'a, R>>),
    Sent(Receiver<Parsed<'a>>),
    Done,
}

/// Rows assembled from the cells of a worksheet, which come row by row.
struct CellRows<'a, R: Reading> {
    cells: Cells<'a, R>,
    /// The sheet turned out to have formulas, which this reading does not give.
    formulas_met: bool,
    /// The cells parsed and not yet placed.
    batch: std::vec::IntoIter<RawCell<'a>>,
    /// The first cell of the next row, read with the row before it.
    pending: Option<(u32, u32, Value)>,
    /// The last row given, and its length: the next row is likely as long.
    last: Option<u32>,
    width: usize,
    formulas: Vec<FormulaCell>,
}

impl<'a, R: Reading> CellRows<'a, R> {
    fn new(cells: Cells<'a, R>) -> Self {
        CellRows {
            cells,
            formulas_met: false,
            batch: Vec::new().into_iter(),
            pending: None,
            last: None,
            width: 0,
            formulas: Vec::new(),
        }
    }

    /// The next non-empty cell, or none at the end of the sheet.
    fn next_cell(&mut self) -> Result<Option<RawCell<'a>>, NotStreamed> {
        let cell = self.read_cell();
        if let Err(NotStreamed::Formulas) = cell {
            self.formulas_met = true;
        }
        cell
    }

    fn read_cell(&mut self) -> Result<Option<RawCell<'a>>, NotStreamed> {
        loop {
            if let Some(cell) = self.batch.next() {
                return Ok(Some(cell));
            }
            let batch = match &mut self.cells {
                Cells::Here(cells) => {
                    let mut batch = Vec::with_capacity(BATCH_CELLS);
                    let more = read::guarded(|| cells.fill(&mut batch, BATCH_CELLS))
                        .map_err(|_| NotStreamed::Whole)??;
                    if !more
                        && let Cells::Here(cells) = std::mem::replace(&mut self.cells, Cells::Done)
                    {
                        self.formulas = cells.finish()?;
                    }
                    batch
                }
                Cells::Sent(receiver) => match receiver.recv() {
                    Ok(Parsed::Cells(batch)) => batch,
                    Ok(Parsed::End(formulas)) => {
                        self.formulas = formulas;
                        self.cells = Cells::Done;
                        return Ok(None);
                    }
                    Ok(Parsed::Formulas) => {
                        self.cells = Cells::Done;
                        return Err(NotStreamed::Formulas);
                    }
                    Ok(Parsed::Failed) | Err(_) => {
                        self.cells = Cells::Done;
                        return Err(NotStreamed::Whole);
                    }
                },
                Cells::Done => return Ok(None),
            };
            self.batch = batch.into_iter();
        }
    }

    /// The next row with a non-empty cell. Cells are placed as the whole-file
    /// reader places them; a sheet whose rows are not in order is left to it.
    fn next_row(&mut self) -> Result<Option<(u32, Vec<Value>)>, NotStreamed> {
        let mut current: Option<(u32, Vec<Value>)> = None;
        if let Some((row, col, value)) = self.pending.take() {
            let mut cells = Vec::with_capacity(self.width);
            place(&mut cells, col, value);
            current = Some((row, cells));
        }
        while let Some(cell) = self.next_cell()? {
            let (row, col) = cell.get_position();
            if row >= read::MAX_ROWS || col >= read::MAX_COLS || self.last >= Some(row) {
                return Err(NotStreamed::Whole);
            }
            let value = read::value_of_ref(cell.get_value());
            match &mut current {
                None => {
                    let mut cells = Vec::with_capacity(self.width);
                    place(&mut cells, col, value);
                    current = Some((row, cells));
                }
                Some((at, cells)) if *at == row => place(cells, col, value),
                Some((at, _)) if *at < row => {
                    self.pending = Some((row, col, value));
                    break;
                }
                Some(_) => return Err(NotStreamed::Whole),
            }
        }
        if let Some((row, cells)) = &current {
            self.last = Some(*row);
            self.width = cells.len();
        }
        Ok(current)
    }
}

impl<R: Reading> RowSource for CellRows<'_, R> {
    fn next_into(&mut self, cells: &mut Vec<Value>) -> Result<Option<usize>, NotStreamed> {
        Ok(self.next_row()?.map(|(row, read)| {
            *cells = read;
            row as usize
        }))
    }

    fn formulas(&mut self) -> Vec<FormulaCell> {
        std::mem::take(&mut self.formulas)
    }

    fn parses_beside(&self) -> bool {
        matches!(self.cells, Cells::Sent(_))
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
