//! A streaming RFC 4180 reader. Hand-written because the seed format tells an empty
//! unquoted field (NULL) from an empty quoted one (`""`, the empty string), which the
//! `csv` crate does not report; `csv-core` can (field by field) but took 1.4 to 2 times as long
//! to parse a 1,000,000-row seed (issue 10). Records are read one at a time.

use std::io::{BufRead, Read};

use crate::db::Value;

/// One record: `None` for an empty unquoted field (NULL).
pub type Record = Vec<Option<String>>;

/// Receives each field of a record: its index and bytes (`None`: empty and unquoted).
type FieldSink<'a> = dyn FnMut(usize, Option<&[u8]>) -> Result<(), CsvError> + 'a;

#[derive(Debug, PartialEq)]
pub struct CsvError {
    /// 1-based line where the problem is.
    pub line: usize,
    pub message: String,
}

pub struct CsvReader<R> {
    input: R,
    /// Line number where the next record starts.
    line: usize,
    buf: Vec<u8>,
    field: Vec<u8>,
    done: bool,
    /// Bytes read so far (for checksums and progress).
    pub bytes_read: u64,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(input: R) -> Self {
        CsvReader {
            input,
            line: 1,
            buf: Vec::with_capacity(256),
            field: Vec::with_capacity(64),
            done: false,
            bytes_read: 0,
        }
    }

    /// The line the last returned record started on.
    pub fn line(&self) -> usize {
        self.line
    }

    fn read_line(&mut self) -> std::io::Result<bool> {
        self.buf.clear();
        let n = self.input.read_until(b'\n', &mut self.buf)?;
        self.bytes_read += n as u64;
        Ok(n > 0)
    }

    /// Reads the rest of the input: its records, fields and field bytes.
    pub fn measure(&mut self) -> Result<(u64, u64, u64), CsvError> {
        let (mut records, mut fields, mut bytes) = (0u64, 0u64, 0u64);
        while self
            .read_fields(&mut |_, b| {
                fields += 1;
                bytes += b.map_or(0, |b| b.len() as u64);
                Ok(())
            })?
            .is_some()
        {
            records += 1;
        }
        Ok((records, fields, bytes))
    }

    /// The next record, or `None` at the end. Blank lines are skipped.
    /// Returns (start line, record).
    pub fn next_record(&mut self) -> Result<Option<(usize, Record)>, CsvError> {
        let mut record: Record = Vec::new();
        let got = self.read_fields(&mut |_, bytes| {
            record.push(bytes.map(|b| String::from_utf8_lossy(b).into_owned()));
            Ok(())
        })?;
        Ok(got.map(|(line, _)| (line, record)))
    }

    /// Reads the next record into `row`, reusing its strings: no allocation per row once the
    /// buffers have grown. Returns (start line, number of fields), or `None` at the end.
    pub fn read_into(&mut self, row: &mut Vec<Value>) -> Result<Option<(usize, usize)>, CsvError> {
        let line = self.line;
        self.read_fields(&mut |i, bytes| {
            let text = match bytes {
                None => {
                    set(row, i, Value::Null);
                    return Ok(());
                }
                Some(b) => std::str::from_utf8(b).map_err(|_| CsvError {
                    line,
                    message: format!("field {} is not valid UTF-8", i + 1),
                })?,
            };
            match row.get_mut(i) {
                Some(Value::Text(s)) => {
                    s.clear();
                    s.push_str(text);
                }
                _ => set(row, i, Value::Text(text.to_string())),
            }
            Ok(())
        })
    }

    /// Reads the next record into the slots of `row` (fields past its end are counted, not
    /// kept), reusing their strings. Returns (start line, number of fields), or `None`.
    pub fn read_into_slots(
        &mut self,
        row: &mut [Value],
    ) -> Result<Option<(usize, usize)>, CsvError> {
        let line = self.line;
        self.read_fields(&mut |i, bytes| {
            let Some(slot) = row.get_mut(i) else {
                return Ok(());
            };
            let Some(b) = bytes else {
                *slot = Value::Null;
                return Ok(());
            };
            let text = std::str::from_utf8(b).map_err(|_| CsvError {
                line,
                message: format!("field {} is not valid UTF-8", i + 1),
            })?;
            match slot {
                Value::Text(s) => {
                    s.clear();
                    s.push_str(text);
                }
                slot => *slot = Value::Text(text.to_string()),
            }
            Ok(())
        })
    }

    /// The parser: calls `field(index, bytes)` for each field (`None`: empty and unquoted).
    fn read_fields(
        &mut self,
        field: &mut FieldSink<'_>,
    ) -> Result<Option<(usize, usize)>, CsvError> {
        let Some(start) = self.next_record_line()? else {
            return Ok(None);
        };
        let mut count = 0;
        let mut line_no = start;
        // Skip a UTF-8 byte order mark at the start of the file.
        let mut pos = if start == 1 && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        loop {
            if self.buf.get(pos) == Some(&b'"') {
                pos = self.quoted_field(pos + 1, start, &mut line_no)?;
                self.check_after_quote(pos, count, line_no)?;
                field(count, Some(&self.field))?;
            } else {
                let n = self.unquoted_len(pos, count, line_no)?;
                field(count, (n > 0).then(|| &self.buf[pos..pos + n]))?;
                pos += n;
                if self.buf.get(pos) == Some(&b'\r') {
                    pos += 1;
                }
            }
            count += 1;
            match self.buf.get(pos) {
                Some(b',') => pos += 1,
                _ => break,
            }
        }
        self.line = line_no + 1;
        Ok(Some((start, count)))
    }

    /// Reads the next line that is not blank into `buf`: the line it is on, or `None` at the end.
    fn next_record_line(&mut self) -> Result<Option<usize>, CsvError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let start = self.line;
            if !self.read_line().map_err(|e| io_error(start, e))? {
                self.done = true;
                return Ok(None);
            }
            if self.buf.iter().all(|b| *b == b'\n' || *b == b'\r') {
                self.line += 1;
                continue;
            }
            return Ok(Some(start));
        }
    }

    /// Reads a quoted field from `pos` (past its opening quote) into `field`, reading on while
    /// it spans lines. Returns the position past its closing quote.
    fn quoted_field(
        &mut self,
        mut pos: usize,
        start: usize,
        line_no: &mut usize,
    ) -> Result<usize, CsvError> {
        self.field.clear();
        loop {
            match self.buf.get(pos) {
                Some(b'"') if self.buf.get(pos + 1) == Some(&b'"') => {
                    self.field.push(b'"');
                    pos += 2;
                }
                Some(b'"') => return Ok(pos + 1),
                Some(_) => {
                    // Copy up to the next quote at once.
                    let rest = &self.buf[pos..];
                    let n = memchr::memchr(b'"', rest).unwrap_or(rest.len());
                    self.field.extend_from_slice(&rest[..n]);
                    pos += n;
                }
                None => {
                    // The quoted field goes on past the end of the line.
                    *line_no += 1;
                    if !self.read_line().map_err(|e| io_error(*line_no, e))? {
                        return Err(CsvError {
                            line: start,
                            message: "a quoted field is never closed (missing \")".into(),
                        });
                    }
                    pos = 0;
                }
            }
        }
    }

    /// After a closing quote: a comma, or the end of the line.
    fn check_after_quote(&self, pos: usize, count: usize, line_no: usize) -> Result<(), CsvError> {
        match self.buf.get(pos) {
            Some(b',') | Some(b'\n') | None => Ok(()),
            Some(b'\r') if self.buf.get(pos + 1).is_none_or(|c| *c == b'\n') => Ok(()),
            Some(_) => Err(CsvError {
                line: line_no,
                message: format!("field {} has text after its closing quote", count + 1),
            }),
        }
    }

    /// The length of the unquoted field at `pos`, without the `\r` of a CRLF line ending.
    fn unquoted_len(&self, pos: usize, count: usize, line_no: usize) -> Result<usize, CsvError> {
        let rest = &self.buf[pos..];
        let mut n = memchr::memchr3(b',', b'\n', b'"', rest).unwrap_or(rest.len());
        if rest.get(n) == Some(&b'"') {
            return Err(CsvError {
                line: line_no,
                message: format!(
                    "field {} has a quote inside an unquoted value (quote the whole field and double the quote: \"\")",
                    count + 1
                ),
            });
        }
        // A \r before the line's end belongs to the line ending.
        if n > 0 && rest[n - 1] == b'\r' && rest.get(n).is_none_or(|c| *c == b'\n') {
            n -= 1;
        }
        Ok(n)
    }
}

fn io_error(line: usize, e: std::io::Error) -> CsvError {
    CsvError {
        line,
        message: format!("cannot read: {e}"),
    }
}

fn set(row: &mut Vec<Value>, i: usize, v: Value) {
    if i < row.len() {
        row[i] = v;
    } else {
        row.push(v);
    }
}

/// Reads the whole of `r` through a hasher without keeping it.
pub fn hash_stream(mut r: impl Read, h: &mut sha2::Sha256) -> std::io::Result<()> {
    use sha2::Digest;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending_cr = false;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            if pending_cr {
                h.update(b"\r");
            }
            return Ok(());
        }
        // \r\n → \n, as for every checksum furrow computes.
        let mut start = 0;
        let chunk = &buf[..n];
        if pending_cr {
            if chunk[0] != b'\n' {
                h.update(b"\r");
            }
            pending_cr = false;
        }
        if !chunk.contains(&b'\r') {
            h.update(chunk);
            continue;
        }
        for i in 0..n {
            if chunk[i] == b'\r' {
                if i + 1 == n {
                    h.update(&chunk[start..i]);
                    start = n;
                    pending_cr = true;
                } else if chunk[i + 1] == b'\n' {
                    h.update(&chunk[start..i]);
                    start = i + 1;
                }
            }
        }
        h.update(&chunk[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<(usize, Record)>, CsvError> {
        let mut r = CsvReader::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec);
        }
        Ok(out)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn empty_unquoted_is_null_and_quoted_empty_is_a_string() {
        let r = all("id,name,description\n1,,\"\"\n").unwrap();
        assert_eq!(r[1], (2, vec![s("1"), None, s("")]));
    }

    #[test]
    fn quotes_commas_newlines_and_crlf() {
        let r = all("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z\n\n3,4").unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[1], (2, vec![s("x, y"), s("say \"hi\"")]));
        assert_eq!(r[2], (3, vec![s("multi\nline"), s("z")]));
        assert_eq!(r[3], (6, vec![s("3"), s("4")]));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(all("a\n\"open\n").unwrap_err().line, 2);
        assert_eq!(all("a,b\n1,x\"y\n").unwrap_err().line, 2);
        assert!(all("a\n\"x\"y\n")
            .unwrap_err()
            .message
            .contains("after its closing quote"));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let r = all("\u{feff}id\n1\n").unwrap();
        assert_eq!(r[0].1, vec![s("id")]);
    }

    // RFC 4180 cases, and how the seed format reads them.

    #[test]
    fn rfc4180_quoted_newlines_keep_their_line_ending_and_count_lines() {
        let r = all("a,b\r\n\"one\r\ntwo\",x\r\n\"3\n\n4\",y\r\nlast,z").unwrap();
        assert_eq!(r[1], (2, vec![s("one\r\ntwo"), s("x")]));
        assert_eq!(r[2], (4, vec![s("3\n\n4"), s("y")]));
        assert_eq!(r[3], (7, vec![s("last"), s("z")]));
    }

    #[test]
    fn rfc4180_doubled_quotes() {
        let r = all("\"\"\"\",\"a\"\"\",\"\"\"b\"\"c\"\"\"\n").unwrap();
        assert_eq!(r[0].1, vec![s("\""), s("a\""), s("\"b\"c\"")]);
    }

    #[test]
    fn rfc4180_crlf_endings_and_empty_last_fields() {
        let r = all("a,b,c\r\n1,,\r\n2,\"\",\"\"\r\n\r\n3,x\r,y\r\n").unwrap();
        assert_eq!(r[0], (1, vec![s("a"), s("b"), s("c")]));
        assert_eq!(r[1], (2, vec![s("1"), None, None]));
        assert_eq!(r[2], (3, vec![s("2"), s(""), s("")]));
        // A lone \r is data, only \r\n ends a line; the blank line is skipped.
        assert_eq!(r[3], (5, vec![s("3"), s("x\r"), s("y")]));
    }

    #[test]
    fn rfc4180_byte_order_mark_only_at_the_start() {
        let r = all("\u{feff}\"id\",name\r\n1,\u{feff}x\n").unwrap();
        assert_eq!(r[0].1, vec![s("id"), s("name")]);
        assert_eq!(r[1].1, vec![s("1"), s("\u{feff}x")]);
    }

    #[test]
    fn rfc4180_ragged_rows_are_read_with_their_own_width() {
        let mut r = CsvReader::new("a,b,c\n1,2\n3,4,5,6\n".as_bytes());
        let mut row = Vec::new();
        assert_eq!(r.read_into(&mut row).unwrap(), Some((1, 3)));
        assert_eq!(r.read_into(&mut row).unwrap(), Some((2, 2)));
        assert_eq!(row[..2], [Value::Text("1".into()), Value::Text("2".into())]);
        assert_eq!(r.read_into(&mut row).unwrap(), Some((3, 4)));
        assert_eq!(row[3], Value::Text("6".into()));
        assert_eq!(r.read_into(&mut row).unwrap(), None);
        // Into fixed slots: extra fields are counted, not kept.
        let mut r = CsvReader::new("1,,\"\",x\n".as_bytes());
        let mut slots = vec![Value::Text("old".into()), Value::Int(7), Value::Null];
        assert_eq!(r.read_into_slots(&mut slots).unwrap(), Some((1, 4)));
        assert_eq!(
            slots,
            [
                Value::Text("1".into()),
                Value::Null,
                Value::Text(String::new())
            ]
        );
    }

    #[test]
    fn errors_after_a_multi_line_field_name_its_lines() {
        // Never closed: the line the field starts on.
        let e = all("a\n1\n\"x\ny\nz\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("never closed"), "{}", e.message);
        // Text after the closing quote: the line the quote closes on.
        let e = all("a,b\n\"x\ny\"z,1\n").unwrap_err();
        assert_eq!(e.line, 3);
        // Invalid UTF-8: the record's line and the field.
        let mut r = CsvReader::new(&b"a,b\n1,\xff\n"[..]);
        let mut row = Vec::new();
        r.read_into(&mut row).unwrap();
        let e = r.read_into(&mut row).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "field 2 is not valid UTF-8")
        );
    }

    #[test]
    fn hashing_normalises_crlf_across_chunks() {
        use sha2::Digest;
        let mut a = sha2::Sha256::new();
        hash_stream("x\r\ny\r".as_bytes(), &mut a).unwrap();
        let mut b = sha2::Sha256::new();
        b.update(b"x\ny\r");
        assert_eq!(a.finalize(), b.finalize());
    }
}
