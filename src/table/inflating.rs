//! A workbook package for calamine whose large parts are inflated ahead, on
//! threads of their own.
//!
//! calamine inflates a part of the package while it parses it, on one thread:
//! on a long export that is about a tenth of its time. A [`Package`] shows
//! calamine the same package laid out again with every part stored, under the
//! original names, CRCs and sizes. Small parts are inflated when first read;
//! each large part is inflated by a thread that runs a few chunks ahead of
//! calamine's parser. calamine parses the same bytes, and checks their CRCs
//! as before; only the inflating has moved to another core.
//!
//! On the way, the inflating thread looks at each large part's markup for
//! formula (`<f>`) and inline-string (`<is>`) elements, and for `<t>` texts
//! calamine may trim ([`PartTags`]). So the streamed reader asks calamine for
//! formulas only once the worksheet is seen to have one, leaves a sheet with
//! inline strings to the whole-file reader before parsing it, and scans the
//! shared strings for trimmed texts only when one may be there. The look is
//! a search for those names, not a look at every tag: it costs a few percent
//! of inflating.
//!
//! The package's bytes come from memory, or from the file (each thread opens
//! it for itself), so that a streamed workbook is not held in memory. The
//! streamed reader's package is laid out even when no core is free (over a
//! folder, or with `--threads 1`): its large parts are then inflated, and
//! looked at, on the reader's own thread, a chunk ahead of calamine.
//!
//! A package that cannot be laid out so (ZIP64 sizes, encrypted parts or an
//! unusual compression method) is shown to calamine as it is.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use zip::{CompressionMethod, ZipArchive};

/// Parts at least this large once inflated get a thread of their own.
const THREAD_FROM: u64 = 1 << 20;
/// Bytes inflated at a time.
const CHUNK: usize = 256 << 10;
/// Chunks inflated ahead of the parser, besides the one being looked at.
const CHUNKS_AHEAD: usize = 4;

/// The bytes of a package file in memory.
#[derive(Clone)]
struct Bytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Where the package's bytes are read from: memory, shared with the
/// inflating threads, or the file, which each reader opens for itself so that
/// a long workbook is not held in memory while it is streamed.
#[derive(Clone)]
enum Source {
    Memory(Arc<Vec<u8>>),
    File(Arc<Path>),
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Source {
    fn reader(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Source::Memory(bytes) => Box::new(Cursor::new(Bytes(Arc::clone(bytes)))),
            Source::File(path) => Box::new(BufReader::with_capacity(1 << 16, File::open(path)?)),
        })
    }

    fn archive(&self) -> io::Result<ZipArchive<Box<dyn ReadSeek>>> {
        ZipArchive::new(self.reader()?).map_err(io::Error::other)
    }
}

/// A workbook package as calamine reads it: see the module's documentation.
pub struct Package {
    source: Source,
    /// The source opened, and where reading it has got to.
    reader: Option<(Box<dyn ReadSeek>, u64)>,
    /// Each region's start and length, in order, and what it holds.
    regions: Vec<(u64, u64, Region)>,
    len: u64,
    pos: u64,
    parts: Vec<Part>,
    /// The original archive, to inflate small parts from.
    archive: Option<ZipArchive<Box<dyn ReadSeek>>>,
    watch: Watch,
    last_index: Option<usize>,
    /// Large parts are inflated on threads of their own.
    beside: bool,
}

enum Region {
    /// The original file, shown as it is.
    Original,
    /// Headers laid out for the stored parts.
    Fixed(Vec<u8>),
    /// The data of a part.
    Part(usize),
}

struct Part {
    name: String,
    /// Its index in the original archive.
    index: usize,
    size: u64,
    data: PartData,
}

enum PartData {
    /// Stored in the original too: these bytes of the file.
    Stored(u64),
    /// Small, not read yet.
    Unread,
    /// Small, inflated when first read.
    Whole(Vec<u8>),
    /// Large: inflated by a thread, not started yet.
    Ahead,
    Streaming(Stream),
}

/// Where a [`Stream`]'s chunks come from.
enum Feed {
    /// A thread of its own, which inflates a few chunks ahead.
    Thread {
        receiver: Receiver<io::Result<Vec<u8>>>,
        /// Chunks read, back to the thread to be filled again: fresh ones
        /// would each cost the kernel a quarter MiB of zeroed pages.
        spent: Sender<Vec<u8>>,
    },
    /// The reader's own thread, as calamine reads, when no core is free
    /// for another: the part is still looked at a chunk ahead.
    Here {
        source: Source,
        index: usize,
        inflater: Option<Box<Inflater>>,
    },
}

struct Stream {
    feed: Feed,
    chunk: Vec<u8>,
    /// Where in `chunk` reading goes on.
    at: usize,
    /// Bytes of the part before `chunk[at]`.
    offset: u64,
    tags: Arc<PartTags>,
}

/// What the inflating thread saw in a large part.
#[derive(Debug)]
pub struct PartTags {
    /// Where the first formula element starts, or `u64::MAX`.
    formula_at: AtomicU64,
    inline_string: AtomicBool,
    /// A `<t>` without `xml:space="preserve"` whose text may start or end
    /// with whitespace: calamine may trim it (see raw_text).
    maybe_trimmed: AtomicBool,
    /// The whole part was looked at.
    complete: AtomicBool,
}

impl Default for PartTags {
    fn default() -> Self {
        PartTags {
            formula_at: AtomicU64::new(u64::MAX),
            inline_string: AtomicBool::new(false),
            maybe_trimmed: AtomicBool::new(false),
            complete: AtomicBool::new(false),
        }
    }
}

impl PartTags {
    /// Where the part's first formula element starts, once one was seen.
    pub fn first_formula(&self) -> Option<u64> {
        Some(self.formula_at.load(Ordering::Acquire)).filter(|&at| at != u64::MAX)
    }

    /// Whether an inline string element was seen in the part.
    pub fn has_inline_string(&self) -> bool {
        self.inline_string.load(Ordering::Acquire)
    }

    /// Whether the whole part was looked at and no text in it can be one
    /// calamine trims.
    pub fn untrimmed(&self) -> bool {
        self.complete.load(Ordering::Acquire) && !self.maybe_trimmed.load(Ordering::Acquire)
    }
}

/// The tags of the parts inflated by a thread, and of the part calamine read
/// last when it was one of them.
#[derive(Clone, Default)]
pub struct Watch(Arc<Mutex<Watched>>);

#[derive(Default)]
struct Watched {
    last: Option<Arc<PartTags>>,
    parts: Vec<(String, Arc<PartTags>)>,
}

impl Watch {
    /// The tags of the part calamine read last.
    pub fn last(&self) -> Option<Arc<PartTags>> {
        self.0.lock().ok()?.last.clone()
    }

    /// The tags of the one part inflated by a thread whose name ends with
    /// `suffix`, in any case.
    pub fn ending_with(&self, suffix: &str) -> Option<Arc<PartTags>> {
        let watched = self.0.lock().ok()?;
        let mut found = watched
            .parts
            .iter()
            .filter(|(name, _)| ends_with(name, suffix));
        let (_, tags) = found.next()?;
        found.next().is_none().then(|| Arc::clone(tags))
    }

    fn set_last(&self, tags: Option<Arc<PartTags>>) {
        if let Ok(mut watched) = self.0.lock() {
            watched.last = tags;
        }
    }

    fn started(&self, name: &str, tags: &Arc<PartTags>) {
        if let Ok(mut watched) = self.0.lock() {
            watched.parts.retain(|(part, _)| part != name);
            watched.parts.push((name.to_string(), Arc::clone(tags)));
        }
    }
}

impl Package {
    /// The package in memory, with its large parts inflated ahead when a
    /// core is free for them (see [`crate::workers`]), else as it is.
    pub fn new(bytes: Arc<Vec<u8>>) -> Self {
        let source = Source::Memory(Arc::clone(&bytes));
        Self::for_threads(&bytes, source)
    }

    /// [`Package::new`] for the file at `path`, whose bytes are `bytes` now:
    /// the package is laid out from them, and read from the file.
    /// It is laid out even when no core is free: the streamed reader needs
    /// the watch, and the large parts are then inflated and looked at on the
    /// reader's own thread, as calamine would inflate them.
    pub fn from_file(path: &Path, bytes: &[u8]) -> Self {
        let source = Source::File(Arc::from(path));
        Self::stored(bytes, source.clone(), crate::workers::spare())
            .unwrap_or_else(|| Self::as_it_is(source, bytes.len() as u64))
    }

    fn for_threads(bytes: &[u8], source: Source) -> Self {
        let stored = crate::workers::spare()
            .then(|| Self::stored(bytes, source.clone(), true))
            .flatten();
        stored.unwrap_or_else(|| Self::as_it_is(source, bytes.len() as u64))
    }

    fn as_it_is(source: Source, len: u64) -> Self {
        Package {
            source,
            reader: None,
            regions: vec![(0, len, Region::Original)],
            len,
            pos: 0,
            parts: Vec::new(),
            archive: None,
            watch: Watch::default(),
            last_index: None,
            beside: false,
        }
    }

    /// Whether a part whose name ends with `suffix` will be inflated ahead,
    /// and so looked at by [`Watch`].
    pub fn inflates_ahead(&self, suffix: &str) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part.data, PartData::Ahead) && ends_with(&part.name, suffix))
    }

    /// Tells what the inflating threads saw, and which part calamine read last.
    pub fn watch(&self) -> Watch {
        self.watch.clone()
    }

    /// The package laid out with every part stored; its large parts inflated
    /// by threads of their own when `beside`.
    fn stored(bytes: &[u8], source: Source, beside: bool) -> Option<Self> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
        let count = u16::try_from(archive.len()).ok()?;
        let mut regions = Vec::new();
        let mut parts = Vec::new();
        let mut central = Vec::new();
        let mut at = 0u64;
        for index in 0..archive.len() {
            let file = archive.by_index_raw(index).ok()?;
            let method = file.compression();
            if file.encrypted()
                || !matches!(
                    method,
                    CompressionMethod::Stored | CompressionMethod::Deflated
                )
            {
                return None;
            }
            let size = file.size();
            let small = |n: u64| u32::try_from(n).ok();
            let name = file.name().ok()?.into_owned();
            let header = Header {
                name: name.clone(),
                crc32: file.crc32(),
                size: small(size)?,
                offset: small(at)?,
            };
            let data = match method {
                CompressionMethod::Stored => PartData::Stored(file.data_start()?),
                _ if size >= THREAD_FROM => PartData::Ahead,
                _ => PartData::Unread,
            };
            let local = header.local();
            regions.push((at, local.len() as u64, Region::Fixed(local)));
            at += regions.last()?.1;
            if size > 0 {
                regions.push((at, size, Region::Part(parts.len())));
                at += size;
            }
            header.central_into(&mut central);
            parts.push(Part {
                name,
                index,
                size,
                data,
            });
        }
        let directory_at = u32::try_from(at).ok()?;
        let directory_len = u32::try_from(central.len()).ok()?;
        // End of central directory: no comment.
        central.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
        central.extend_from_slice(&[0; 4]);
        central.extend_from_slice(&count.to_le_bytes());
        central.extend_from_slice(&count.to_le_bytes());
        central.extend_from_slice(&directory_len.to_le_bytes());
        central.extend_from_slice(&directory_at.to_le_bytes());
        central.extend_from_slice(&[0; 2]);
        let len = at + central.len() as u64;
        u32::try_from(len).ok()?;
        regions.push((at, central.len() as u64, Region::Fixed(central)));
        Some(Package {
            source,
            reader: None,
            regions,
            len,
            pos: 0,
            parts,
            archive: None,
            watch: Watch::default(),
            last_index: None,
            beside,
        })
    }

    /// Reads from part `p`, `offset` bytes into it; `buf` ends within the part.
    fn read_part(&mut self, p: usize, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Package {
            source,
            reader,
            parts,
            archive,
            watch,
            last_index,
            beside,
            ..
        } = self;
        let part = &mut parts[p];
        loop {
            match &mut part.data {
                PartData::Stored(start) => {
                    note_last(watch, last_index, p, None);
                    return read_at(source, reader, *start + offset, buf);
                }
                PartData::Unread => {
                    if archive.is_none() {
                        *archive = Some(source.archive()?);
                    }
                    let archive = archive.as_mut().ok_or_else(truncated)?;
                    let mut file = archive.by_index(part.index).map_err(io::Error::other)?;
                    let mut whole = Vec::with_capacity(part.size as usize);
                    file.read_to_end(&mut whole)?;
                    drop(file);
                    part.data = PartData::Whole(whole);
                }
                PartData::Whole(whole) => {
                    note_last(watch, last_index, p, None);
                    let from = offset as usize;
                    let source = whole.get(from..from + buf.len()).ok_or_else(truncated)?;
                    buf.copy_from_slice(source);
                    return Ok(buf.len());
                }
                PartData::Ahead => {
                    let stream = Stream::start(source.clone(), part.index, *beside);
                    watch.started(&part.name, &stream.tags);
                    part.data = PartData::Streaming(stream);
                    // A new stream has new tags.
                    *last_index = None;
                }
                PartData::Streaming(stream) if offset < stream.offset => {
                    if offset > 0 {
                        return Err(io::Error::other("a part was read backwards"));
                    }
                    // Read again from its start: inflated again.
                    part.data = PartData::Ahead;
                }
                PartData::Streaming(stream) => {
                    note_last(watch, last_index, p, Some(&stream.tags));
                    return stream.read(offset, buf);
                }
            }
        }
    }
}

/// Whether a part's name ends with `suffix`, in any case.
fn ends_with(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.is_char_boundary(name.len() - suffix.len())
        && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Keeps `watch` telling of the part read last.
fn note_last(watch: &Watch, index: &mut Option<usize>, p: usize, tags: Option<&Arc<PartTags>>) {
    if *index != Some(p) {
        *index = Some(p);
        watch.set_last(tags.cloned());
    }
}

/// Reads `buf` from `at` bytes into the source, opening it the first time.
fn read_at(
    source: &Source,
    reader: &mut Option<(Box<dyn ReadSeek>, u64)>,
    at: u64,
    buf: &mut [u8],
) -> io::Result<usize> {
    if reader.is_none() {
        *reader = Some((source.reader()?, 0));
    }
    let (reader, pos) = reader.as_mut().ok_or_else(truncated)?;
    if *pos != at {
        reader.seek(SeekFrom::Start(at))?;
        *pos = at;
    }
    let read = reader.read(buf)?;
    *pos += read as u64;
    Ok(read)
}

fn truncated() -> io::Error {
    io::Error::from(io::ErrorKind::UnexpectedEof)
}

impl Read for Package {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let r = self
            .regions
            .partition_point(|(start, ..)| *start <= self.pos)
            - 1;
        let (start, len, _) = self.regions[r];
        let offset = self.pos - start;
        let left = (len - offset).min(buf.len() as u64) as usize;
        let read = match &self.regions[r].2 {
            Region::Original => {
                read_at(&self.source, &mut self.reader, self.pos, &mut buf[..left])?
            }
            Region::Fixed(bytes) => {
                let from = offset as usize;
                buf[..left].copy_from_slice(&bytes[from..from + left]);
                left
            }
            Region::Part(p) => {
                let p = *p;
                self.read_part(p, offset, &mut buf[..left])?
            }
        };
        self.pos += read as u64;
        Ok(read)
    }
}

impl Seek for Package {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = pos.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

impl Stream {
    /// Inflates part `index` on a thread of its own when `beside`, else on
    /// the reader's thread.
    fn start(source: Source, index: usize, beside: bool) -> Self {
        let tags = Arc::new(PartTags::default());
        let feed = if beside {
            Self::thread(source, index, &tags)
        } else {
            Feed::Here {
                source,
                index,
                inflater: None,
            }
        };
        Stream {
            feed,
            chunk: Vec::new(),
            at: 0,
            offset: 0,
            tags,
        }
    }

    fn thread(source: Source, index: usize, tags: &Arc<PartTags>) -> Feed {
        let (sender, receiver) = sync_channel(CHUNKS_AHEAD);
        let (spent, empty) = channel();
        let seen = Arc::clone(tags);
        // Without a thread the part cannot be read: the error reaches calamine.
        let started = std::thread::Builder::new()
            .name("skulint-inflate".into())
            .spawn(move || inflate(&source, index, sender, &empty, &seen));
        let receiver = match started {
            Ok(_) => receiver,
            Err(e) => {
                let (sender, receiver) = sync_channel(1);
                let _ = sender.send(Err(e));
                receiver
            }
        };
        Feed::Thread { receiver, spent }
    }

    /// Fills `buf` from `offset` on, at or after where reading is.
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let available = self.chunk.len() - self.at;
            let skip = offset - self.offset;
            if (skip as usize) < available && available > 0 {
                self.at += skip as usize;
                self.offset = offset;
                let n = (self.chunk.len() - self.at).min(buf.len());
                buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
                self.at += n;
                self.offset += n as u64;
                return Ok(n);
            }
            self.offset += available as u64;
            self.at = 0;
            let spent = std::mem::take(&mut self.chunk);
            self.chunk = match &mut self.feed {
                Feed::Thread {
                    receiver,
                    spent: back,
                } => {
                    let _ = back.send(spent);
                    match receiver.recv() {
                        Ok(chunk) => chunk?,
                        Err(_) => return Err(truncated()),
                    }
                }
                Feed::Here {
                    source,
                    index,
                    inflater,
                } => {
                    if inflater.is_none() {
                        *inflater = Some(Box::new(Inflater::new(source, *index)?));
                    }
                    let inflater = inflater.as_mut().ok_or_else(truncated)?;
                    inflater.next(spent, &self.tags)?.ok_or_else(truncated)?
                }
            };
        }
    }
}

/// The inflating thread: the part in chunks, each handed over once the one
/// after it was looked at, so that the tags are set before calamine can reach
/// what they tell of.
fn inflate(
    source: &Source,
    index: usize,
    sender: SyncSender<io::Result<Vec<u8>>>,
    spent: &Receiver<Vec<u8>>,
    tags: &PartTags,
) {
    let inflated = super::read::guarded(|| -> io::Result<()> {
        let mut inflater = Inflater::new(source, index)?;
        while let Some(chunk) = inflater.next(spent.try_recv().unwrap_or_default(), tags)? {
            if sender.send(Ok(chunk)).is_err() {
                break;
            }
        }
        Ok(())
    });
    let failed = match inflated {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e,
        Err(e) => io::Error::other(e.to_string()),
    };
    let _ = sender.send(Err(failed));
}

/// A deflated part, inflated a chunk at a time: each chunk is handed over once
/// the one after it was looked at, so that the tags are set before calamine
/// can reach what they tell of. calamine checks the part's CRC as it reads.
struct Inflater {
    part: flate2::read::DeflateDecoder<io::Take<Box<dyn ReadSeek>>>,
    scanner: TagScanner,
    ahead: Option<Vec<u8>>,
    ended: bool,
}

impl Inflater {
    fn new(source: &Source, index: usize) -> io::Result<Self> {
        let (start, compressed) = {
            let mut archive = source.archive()?;
            let part = archive.by_index_raw(index).map_err(io::Error::other)?;
            (
                part.data_start().ok_or_else(truncated)?,
                part.compressed_size(),
            )
        };
        let mut reader = source.reader()?;
        reader.seek(SeekFrom::Start(start))?;
        Ok(Inflater {
            part: flate2::read::DeflateDecoder::new(reader.take(compressed)),
            scanner: TagScanner::default(),
            ahead: None,
            ended: false,
        })
    }

    /// The next chunk, filled in `chunk` (a spent one, or a new one), or none
    /// after the last.
    fn next(&mut self, mut chunk: Vec<u8>, tags: &PartTags) -> io::Result<Option<Vec<u8>>> {
        loop {
            if self.ended {
                return Ok(self.ahead.take());
            }
            chunk.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                match self.part.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            chunk.truncate(filled);
            self.scanner.scan(&chunk, tags);
            if filled < CHUNK {
                self.scanner.finish(tags);
                self.ended = true;
            }
            if let Some(before) = self.ahead.replace(chunk) {
                return Ok(Some(before));
            }
            chunk = Vec::new();
        }
    }
}

/// Finds the elements a [`PartTags`] tells of, in chunks of markup: a tag is
/// looked at once its name, and for a `<t>` its end and the byte after it,
/// have arrived.
#[derive(Default)]
struct TagScanner {
    /// Bytes of the part before this chunk.
    offset: u64,
    /// A tag cut by the end of the last chunk, from its `<`; where that is in
    /// the part, and the byte before it.
    cut: Vec<u8>,
    cut_at: u64,
    cut_before: Option<u8>,
    /// The last byte of the last chunk.
    last: Option<u8>,
    /// In a `<t>` without `xml:space="preserve"`.
    in_unmarked_text: bool,
}

impl TagScanner {
    fn scan(&mut self, chunk: &[u8], tags: &PartTags) {
        if chunk.is_empty() {
            return;
        }
        if self.cut.is_empty() {
            self.scan_from(chunk, self.offset, self.last, tags);
        } else {
            let mut joined = std::mem::take(&mut self.cut);
            joined.extend_from_slice(chunk);
            self.scan_from(&joined, self.cut_at, self.cut_before, tags);
        }
        self.last = chunk.last().copied();
        self.offset += chunk.len() as u64;
    }

    /// Scans `buf`, which starts `at` bytes into the part after the byte `before`.
    fn scan_from(&mut self, buf: &[u8], at: u64, before: Option<u8>, tags: &PartTags) {
        let mut from = 0;
        loop {
            let open = if self.in_unmarked_text {
                // Within a text every tag counts: where it ends, or what hides an edge.
                match memchr::memchr(b'<', &buf[from..]) {
                    Some(i) => from + i,
                    None => return,
                }
            } else {
                match next_candidate(buf, from) {
                    Candidate::At(open) => open,
                    Candidate::Cut(open) => {
                        self.cut_from(buf, open, at, before);
                        return;
                    }
                    Candidate::None => return,
                }
            };
            let previous = byte_before(buf, open, before);
            match self.look(buf, open, previous, at + open as u64, tags) {
                Some(next) => from = next,
                None => {
                    self.cut_from(buf, open, at, before);
                    return;
                }
            }
        }
    }

    /// Keeps the markup from `buf[open]` on, which `buf` cuts, for the next chunk.
    fn cut_from(&mut self, buf: &[u8], open: usize, at: u64, before: Option<u8>) {
        self.cut = buf[open..].to_vec();
        self.cut_at = at + open as u64;
        self.cut_before = byte_before(buf, open, before);
    }

    /// The part has ended.
    fn finish(&self, tags: &PartTags) {
        if !self.cut.is_empty() {
            // Cut markup at the end: calamine fails on it; count it as trimmed text.
            tags.maybe_trimmed.store(true, Ordering::Release);
        }
        tags.complete.store(true, Ordering::Release);
    }

    /// Looks at the markup whose `<` is at `buf[at]`; where to go on from, or
    /// `None` when `buf` ends before what is needed.
    fn look(
        &mut self,
        buf: &[u8],
        at: usize,
        before: Option<u8>,
        part_at: u64,
        tags: &PartTags,
    ) -> Option<usize> {
        let first = *buf.get(at + 1)?;
        if matches!(first, b'!' | b'?') {
            // A comment, CDATA section or processing instruction inside a text
            // may hide its edges.
            if self.in_unmarked_text {
                tags.maybe_trimmed.store(true, Ordering::Release);
            }
            return Some(at + 1);
        }
        let closing = first == b'/';
        let name_at = at + 1 + usize::from(closing);
        let name_end = name_at + name_end(buf.get(name_at..)?);
        if name_end == buf.len() {
            return None;
        }
        let name = &buf[name_at..name_end];
        match (closing, super::patch::local(name)) {
            (false, b"f") => {
                tags.formula_at.fetch_min(part_at, Ordering::AcqRel);
            }
            (false, b"is") => tags.inline_string.store(true, Ordering::Release),
            (false, b"t") => {
                let end = tag_end(buf, name_end)?;
                if buf[end - 1] == b'/' {
                    return Some(end + 1);
                }
                let after = *buf.get(end + 1)?;
                self.in_unmarked_text =
                    super::raw_text::attribute(&buf[at..=end], b"xml:space") != Some(b"preserve");
                if self.in_unmarked_text && is_text_edge(Some(after)) {
                    tags.maybe_trimmed.store(true, Ordering::Release);
                }
                return Some(end + 1);
            }
            (true, b"t") => {
                if self.in_unmarked_text && is_text_edge(before) {
                    tags.maybe_trimmed.store(true, Ordering::Release);
                }
                self.in_unmarked_text = false;
            }
            _ => {}
        }
        Some(name_end)
    }
}

/// Where the scanner looks next outside a text.
enum Candidate {
    /// The `<` of a tag whose local name may be one [`TagScanner::look`] tells of.
    At(usize),
    /// The `<` of a tag whose name the end of the buffer cuts.
    Cut(usize),
    None,
}

/// The two bytes that start the local name of an element `look` tells of
/// (`f`, `is`, `t`), after `<` or after a namespace prefix's `:`. Most tags
/// are other elements (`c`, `v`, `row`, `si`): searching for these names,
/// rather than looking at every tag, is what keeps the scan a small part of
/// inflating.
static CANDIDATES: std::sync::LazyLock<Names> = std::sync::LazyLock::new(Names::new);

/// A search for the [`CANDIDATES`]: SIMD (Teddy) where the machine has it, which
/// keeps both bytes of a pattern in one look, else the automaton.
enum Names {
    Packed(aho_corasick::packed::Searcher),
    Automaton(aho_corasick::AhoCorasick),
}

impl Names {
    const PATTERNS: [&str; 6] = ["<f", "<i", "<t", ":f", ":i", ":t"];

    fn new() -> Self {
        let mut packed = aho_corasick::packed::Config::new().builder();
        packed.extend(Self::PATTERNS);
        match packed.build() {
            Some(packed) => Names::Packed(packed),
            None => Names::Automaton(
                aho_corasick::AhoCorasick::new(Self::PATTERNS)
                    .expect("a fixed set of two-byte patterns builds"),
            ),
        }
    }

    /// Where the first pattern from `buf[from]` on starts.
    fn find(&self, buf: &[u8], from: usize) -> Option<usize> {
        let found = match self {
            Names::Packed(packed) => packed.find_in(buf, aho_corasick::Span::from(from..buf.len())),
            Names::Automaton(automaton) => {
                automaton.find(aho_corasick::Input::new(buf).range(from..))
            }
        };
        found.map(|m| m.start())
    }
}

/// The next tag from `buf[from]` on that may be one `look` tells of.
fn next_candidate(buf: &[u8], from: usize) -> Candidate {
    let mut search = from;
    while let Some(start) = CANDIDATES.find(buf, search) {
        if buf[start] == b'<' {
            return Candidate::At(start);
        }
        // After a prefix: the tag starts at the `<` before it, if all between
        // is the prefix (a `:` in a text or an attribute is not).
        if let Some(open) = memchr::memrchr(b'<', &buf[from..start]).map(|i| from + i) {
            let prefix = &buf[open + 1..start];
            let prefix = prefix.strip_prefix(b"/").unwrap_or(prefix);
            if !prefix.is_empty()
                && name_end(prefix) == prefix.len()
                && !prefix.iter().any(|b| matches!(b, b'"' | b'\'' | b'='))
            {
                return Candidate::At(open);
            }
        }
        search = start + 1;
    }
    // A name cut by the end of `buf` may still be one.
    let Some(open) = memchr::memrchr(b'<', &buf[from..]).map(|i| from + i) else {
        return Candidate::None;
    };
    let name_at = open + 1 + usize::from(buf.get(open + 1) == Some(&b'/'));
    let cut = match buf.get(open + 1) {
        None => true,
        Some(b'!' | b'?') => false,
        Some(_) => name_at + name_end(buf.get(name_at..).unwrap_or_default()) == buf.len(),
    };
    if cut {
        Candidate::Cut(open)
    } else {
        Candidate::None
    }
}

/// The byte before `buf[at]`, or `first`, the byte before `buf`.
fn byte_before(buf: &[u8], at: usize, first: Option<u8>) -> Option<u8> {
    at.checked_sub(1).map_or(first, |i| Some(buf[i]))
}

/// A byte next to a text that may be whitespace calamine trims, or hide it
/// (an entity, or no text at all): as raw_text tells them.
fn is_text_edge(byte: Option<u8>) -> bool {
    matches!(
        byte,
        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'&' | b';' | b'>' | b'<')
    )
}

/// The `>` that ends a start tag whose attributes begin at `from`, past any
/// quoted value.
fn tag_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in buf.get(from..)?.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// Where an element name that starts `bytes` ends.
fn name_end(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
        .unwrap_or(bytes.len())
}

/// The local header and central directory entry of a part laid out stored.
struct Header {
    name: String,
    crc32: u32,
    size: u32,
    offset: u32,
}

impl Header {
    /// Version 2.0, UTF-8 name, stored, 1980-01-01.
    const FIXED: [u8; 10] = [20, 0, 0, 0x08, 0, 0, 0, 0, 0x21, 0];

    fn sizes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.crc32.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 2]);
    }

    fn local(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(30 + self.name.len());
        out.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        out.extend_from_slice(&Self::FIXED);
        self.sizes(&mut out);
        out.extend_from_slice(self.name.as_bytes());
        out
    }

    fn central_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        out.extend_from_slice(&[20, 0]);
        out.extend_from_slice(&Self::FIXED);
        self.sizes(out);
        // Comment length, disk, internal and external attributes.
        out.extend_from_slice(&[0; 10]);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(self.name.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn read_all(package: Package) -> Vec<(String, Vec<u8>)> {
        let mut archive = ZipArchive::new(package).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    /// Every part reads back as written: small, large (on a thread), empty.
    #[test]
    fn a_package_laid_out_stored_reads_back_every_part() {
        let sheet: Vec<u8> = (0..200_000)
            .flat_map(|i| format!("<row r=\"{i}\"><c><v>{i}</v></c></row>").into_bytes())
            .collect();
        let parts: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/worksheets/sheet1.xml", &sheet),
            ("empty", b""),
            (
                "xl/sharedStrings.xml",
                b"<sst><si><t>\xc3\xa9</t></si></sst>",
            ),
        ];
        let bytes = Arc::new(package(&parts));
        let expected: Vec<(String, Vec<u8>)> = parts
            .iter()
            .map(|(name, data)| (name.to_string(), data.to_vec()))
            .collect();
        // Its large parts inflated on threads of their own, and on the reader's.
        for beside in [true, false] {
            let stored =
                Package::stored(&bytes, Source::Memory(Arc::clone(&bytes)), beside).unwrap();
            assert!(matches!(stored.regions[0].2, Region::Fixed(_)));
            assert_eq!(read_all(stored), expected, "beside: {beside}");
        }
        let len = bytes.len() as u64;
        assert_eq!(
            read_all(Package::as_it_is(Source::Memory(bytes), len)),
            expected
        );
    }

    /// Formula and inline-string elements are seen wherever chunks cut them,
    /// with or without a namespace prefix; other names are not taken for them.
    #[test]
    fn the_scanner_finds_formula_and_inline_string_elements_across_chunks() {
        let text = b"<x:row><x:c r=\"A1\"><x:fx/><x:v>1</x:v></x:c><c><f>SUM(A1)</f></c><font/><c t=\"inlineStr\"><is><t>a</t></is></c>";
        let formula_at = text.windows(4).position(|w| w == b"<f>S").unwrap() as u64;
        for cut in 0..text.len() {
            for second in cut..text.len() {
                let tags = PartTags::default();
                let mut scanner = TagScanner::default();
                scanner.scan(&text[..cut], &tags);
                scanner.scan(&text[cut..second], &tags);
                scanner.scan(&text[second..], &tags);
                assert_eq!(
                    tags.first_formula(),
                    Some(formula_at),
                    "cut at {cut}, {second}"
                );
                assert!(tags.has_inline_string(), "cut at {cut}, {second}");
            }
        }
        let tags = PartTags::default();
        TagScanner::default().scan(b"<font><fill/><i/><family val=\"2\"/><isx/>", &tags);
        assert_eq!(
            (tags.first_formula(), tags.has_inline_string()),
            (None, false)
        );
    }

    /// What the scanner tells of `bytes` handed over in chunks cut at `cuts`
    /// (clamped and sorted), to the end of the part.
    fn scanned(bytes: &[u8], cuts: Vec<usize>) -> PartTags {
        let tags = PartTags::default();
        let mut scanner = TagScanner::default();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut from = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            scanner.scan(&bytes[from..cut], &tags);
            from = cut;
        }
        scanner.finish(&tags);
        tags
    }

    /// Where formula and inline-string elements are, looking at every tag of
    /// the whole markup at once.
    fn every_tag(xml: &[u8]) -> (Option<u64>, bool) {
        let (mut formula, mut inline) = (None, false);
        for open in memchr::memchr_iter(b'<', xml) {
            let name = &xml[open + 1..];
            let name = &name[..name_end(name)];
            match crate::table::patch::local(name) {
                b"f" => formula = formula.or(Some(open as u64)),
                b"is" => inline = true,
                _ => {}
            }
        }
        (formula, inline)
    }

    proptest::proptest! {
        /// The scanner, which searches for the names it tells of rather than
        /// looking at every tag, finds what a look at every tag finds, wherever
        /// chunks cut the markup, among names, prefixes and texts that only
        /// look like them.
        #[test]
        fn the_scanner_finds_what_a_look_at_every_tag_finds(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "<row r=\"2\">", "</row>", "<c r=\"A1\" t=\"s\">", "<v>1</v>", "</c>",
                "<f>SUM(A1)</f>", "<x:f t=\"shared\" si=\"0\"/>", "<f/>", "<is><t>a</t></is>",
                "<x:is>", "</x:is>", "<font/>", "<fill>", "<i/>", "<isx/>", "<x:fx/>",
                "<t>http:f a:is</t>", "<c xr:uid=\"x:f\" xmlns:f=\"u\">", "<x:t>", "</x:t>",
                "<!-- a:f -->", "<?pi x:is?>", "<x:c r=\"B2\">", "text:t ", "<fx:v>",
            ]), 0..30),
            cuts in proptest::collection::vec(0usize..700, 0..5),
        ) {
            let xml = pieces.concat();
            let bytes = xml.as_bytes();
            let tags = scanned(bytes, cuts);
            proptest::prop_assert_eq!(
                (tags.first_formula(), tags.has_inline_string()),
                every_tag(bytes),
                "{}", xml
            );
        }
    }

    /// Read from the file, the package gives the same parts as from memory.
    #[test]
    fn a_package_read_from_its_file_reads_back_every_part() {
        let sheet = vec![b'x'; 3 << 20];
        let parts: Vec<(&str, &[u8])> = vec![("a.xml", b"<a/>"), ("sheet.xml", &sheet)];
        let bytes = package(&parts);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let expected: Vec<(String, Vec<u8>)> = parts
            .iter()
            .map(|(name, data)| (name.to_string(), data.to_vec()))
            .collect();
        let from_file = Package::from_file(&path, &bytes);
        assert!(matches!(from_file.source, Source::File(_)));
        assert_eq!(read_all(from_file), expected);
        // With one thread only: from the file, laid out stored all the same,
        // its large part inflated on the reader's thread and looked at; from
        // memory, as it is.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let here = pool.install(|| Package::from_file(&path, &bytes));
        assert!(matches!(here.regions[0].2, Region::Fixed(_)) && !here.beside);
        let watch = here.watch();
        assert_eq!(read_all(here), expected);
        assert!(watch.ending_with("sheet.xml").is_some());
        let as_it_is = pool.install(|| Package::new(Arc::new(bytes.clone())));
        assert!(matches!(as_it_is.regions[0].2, Region::Original));
        assert_eq!(read_all(as_it_is), expected);
    }

    /// A large part read again from its start is inflated again; read
    /// backwards from elsewhere, it is an error, not wrong bytes.
    #[test]
    fn a_large_part_reads_again_from_its_start_only() {
        let sheet = vec![b'x'; 3 << 20];
        let bytes = Arc::new(package(&[("sheet.xml", &sheet)]));
        let mut package =
            Package::stored(&bytes, Source::Memory(Arc::clone(&bytes)), true).unwrap();
        let data_at = package.regions[1].0;
        let mut buf = vec![0; 1000];
        package.seek(SeekFrom::Start(data_at + 2_000_000)).unwrap();
        package.read_exact(&mut buf).unwrap();
        package.seek(SeekFrom::Start(data_at + 5)).unwrap();
        assert!(package.read_exact(&mut buf).is_err());
        package.seek(SeekFrom::Start(data_at)).unwrap();
        package.read_exact(&mut buf).unwrap();
        assert_eq!(buf, vec![b'x'; 1000]);
        assert!(package.watch().last().is_some());
    }

    /// A shared strings part with a text calamine trims is always seen as one
    /// that may have it, wherever the chunks are cut (raw_text tells which
    /// texts calamine trims).
    mod trimmed_texts {
        use proptest::prelude::*;

        use super::*;

        fn fragment() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "A",
                "B-1",
                " ",
                "  ",
                "\t",
                "\n",
                "&amp;",
                "&#32;",
                "&quot;",
                "<!--c-->",
                "<![CDATA[ x ]]>",
                "\u{e9}",
            ])
        }

        fn item() -> impl Strategy<Value = String> {
            let text = prop::collection::vec(fragment(), 0..4).prop_map(|f| f.concat());
            let open = prop::sample::select(vec![
                "<t>",
                "<t xml:space=\"preserve\">",
                "<x:t>",
                "<t a=\">\" xml:space='preserve'>",
                "<t a=\">\">",
            ]);
            prop::collection::vec((open, text, any::<bool>()), 1..3).prop_map(|runs| {
                let runs: String = runs
                    .into_iter()
                    .map(|(open, text, rich)| {
                        let close = if open.starts_with("<x:") {
                            "</x:t>"
                        } else {
                            "</t>"
                        };
                        let run = format!("{open}{text}{close}");
                        if rich {
                            format!("<r><rPr><b/></rPr>{run}</r>")
                        } else {
                            run
                        }
                    })
                    .collect();
                format!("<si>{runs}</si>")
            })
        }

        proptest! {
            #[test]
            fn the_scanner_sees_every_text_calamine_trims(
                items in prop::collection::vec(item(), 1..6),
                cuts in prop::collection::vec(0usize..400, 0..4),
            ) {
                let xml = format!(
                    "<?xml version=\"1.0\"?><sst xmlns:x=\"urn:x\">{}</sst>",
                    items.concat()
                );
                let bytes = xml.as_bytes();
                let trims = !crate::table::raw_text::scan_shared_strings(bytes)
                    .unwrap()
                    .is_empty();
                let tags = scanned(bytes, cuts);
                prop_assert!(!trims || !tags.untrimmed(), "{xml}");
            }
        }

        /// Texts without whitespace at their edges are not taken for trimmed.
        #[test]
        fn plain_texts_are_untrimmed() {
            let xml = b"<sst><si><t>KAOS-1</t></si><si><r><t>A</t></r><r><t xml:space=\"preserve\"> B </t></r></si></sst>";
            let tags = PartTags::default();
            let mut scanner = TagScanner::default();
            for chunk in xml.chunks(7) {
                scanner.scan(chunk, &tags);
            }
            scanner.finish(&tags);
            assert!(tags.untrimmed());
        }
    }
}
