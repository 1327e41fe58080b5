//! Where a seed's rows come from as they load: inline rows lent as stored, CSV files
//! streamed into one reused row buffer; and reading a CSV's header.

use std::io::BufReader;
use std::path::Path;

use crate::db::load::RowSource;
use crate::db::Value;
use crate::error::{io_error, Error, Result};

use super::csv;
use super::source::{InlineRows, SeedFile};

pub fn open_csv(path: &Path) -> Result<csv::CsvReader<BufReader<std::fs::File>>> {
    let f = std::fs::File::open(path).map_err(|e| io_error("open", path, &e))?;
    Ok(csv::CsvReader::new(BufReader::with_capacity(256 * 1024, f)))
}

/// A CSV reader past its header, and the header's column names.
pub fn open_csv_with_header(
    path: &Path,
    display: &str,
) -> Result<(csv::CsvReader<BufReader<std::fs::File>>, Vec<String>)> {
    let mut reader = open_csv(path)?;
    match reader.next_record() {
        Ok(Some((_, h))) => Ok((
            reader,
            h.into_iter()
                .map(|c| c.unwrap_or_default().trim().to_string())
                .collect(),
        )),
        Ok(None) => Err(Error::validation(format!("{display}: the file is empty"))),
        Err(e) => Err(Error::validation(format!(
            "{display} line {}: {}",
            e.line, e.message
        ))),
    }
}

pub fn csv_header(path: &Path, display: &str, seed: &SeedFile) -> Result<Vec<String>> {
    let mut r = open_csv(path)?;
    let header = r
        .next_record()
        .map_err(|e| Error::validation(format!("{display} line {}: {}", e.line, e.message)))?
        .ok_or_else(|| {
            Error::validation(format!(
                "{display}: the file is empty; its first line must name the columns (seed {})",
                seed.display
            ))
        })?
        .1;
    header
        .into_iter()
        .enumerate()
        .map(|(i, h)| match h {
            Some(h) if !h.trim().is_empty() => Ok(h.trim().to_string()),
            _ => Err(Error::validation(format!(
                "{display} line 1: column {} of the header has no name",
                i + 1
            ))),
        })
        .collect()
}

pub fn count_csv_rows(path: &Path) -> Option<u64> {
    let mut r = open_csv(path).ok()?;
    let mut n = 0u64;
    while r.next_record().ok()?.is_some() {
        n += 1;
    }
    Some(n.saturating_sub(1))
}

/// Lines of the last rows pulled from a CSV, so a failed batch can name its lines.
pub struct LineRing {
    lines: Vec<usize>,
}

impl LineRing {
    const SIZE: usize = 8192;
    pub fn new() -> Self {
        LineRing {
            lines: vec![0; Self::SIZE],
        }
    }
    pub fn set(&mut self, row: u64, line: usize) {
        self.lines[(row as usize) % Self::SIZE] = line;
    }
    pub fn get(&self, row: u64) -> usize {
        self.lines[(row as usize) % Self::SIZE]
    }
}

/// Lends a run of inline rows as they are stored.
pub struct InlineSource<'a> {
    pub rows: &'a InlineRows,
    pub next: usize,
    pub end: usize,
    pub buf: Vec<Value>,
}

impl RowSource for InlineSource<'_> {
    fn next_row(&mut self) -> Result<Option<&[Value]>> {
        if self.next >= self.end {
            return Ok(None);
        }
        let width = self.rows.columns(self.next).len();
        self.buf.resize(width, Value::Null);
        self.rows.row_into(self.next, &mut self.buf);
        self.next += 1;
        Ok(Some(&self.buf))
    }

    fn fill_row(&mut self, out: &mut [Value]) -> Result<bool> {
        if self.next >= self.end {
            return Ok(false);
        }
        self.rows.row_into(self.next, out);
        self.next += 1;
        Ok(true)
    }
}

/// Streams a CSV file, one reused row buffer: no allocation per row.
pub struct CsvSource<'a, R> {
    pub reader: csv::CsvReader<R>,
    pub row: Vec<Value>,
    pub width: usize,
    pub key_idx: Vec<usize>,
    pub header: &'a [String],
    pub ring: LineRing,
    pub row_no: u64,
    pub display: &'a str,
}

impl<R: std::io::BufRead> CsvSource<'_, R> {
    /// Checks a record just read into `row`.
    fn check(&mut self, line: usize, fields: usize, row: &[Value]) -> Result<()> {
        let display = self.display;
        self.row_no += 1;
        self.ring.set(self.row_no, line);
        if fields != self.width {
            return Err(Error::validation(format!(
                "{display} line {line}: {fields} field(s), but the header has {}",
                self.width
            ))
            .hint("every line needs one value per header column (an empty field is NULL; \"\" is an empty string)"));
        }
        for &k in &self.key_idx {
            if row[k].is_null() {
                return Err(Error::validation(format!(
                    "{display} line {line}: the key column `{}` is empty",
                    self.header[k]
                )));
            }
        }
        Ok(())
    }

    fn read_error(&self, e: csv::CsvError) -> Error {
        Error::validation(format!("{} line {}: {}", self.display, e.line, e.message))
    }
}

impl<R: std::io::BufRead> RowSource for CsvSource<'_, R> {
    fn next_row(&mut self) -> Result<Option<&[Value]>> {
        let mut row = std::mem::take(&mut self.row);
        let read = self.reader.read_into(&mut row);
        let result = match read {
            Err(e) => Err(self.read_error(e)),
            Ok(None) => Ok(None),
            Ok(Some((line, fields))) => self.check(line, fields, &row).map(|_| Some(fields)),
        };
        self.row = row;
        Ok(result?.map(|fields| &self.row[..fields]))
    }

    fn fill_row(&mut self, out: &mut [Value]) -> Result<bool> {
        match self.reader.read_into_slots(out) {
            Err(e) => Err(self.read_error(e)),
            Ok(None) => Ok(false),
            Ok(Some((line, fields))) => self.check(line, fields, out).map(|_| true),
        }
    }
}
