//! Splitting one line of delimited text into fields (RFC 4180 quoting), and quoting a
//! field for output. Trace files are read line by line, so a quoted field may not span
//! lines; such a line is reported as malformed.

use std::borrow::Cow;

/// The fields of `line` separated by `delim`. A field may be quoted (`"a,b"`, with `""`
/// for a quote inside); surrounding spaces of unquoted fields are kept (callers trim).
/// An unclosed quote is an error carrying the 1-based column of the opening quote.
pub fn split(line: &str, delim: char) -> Result<Vec<Cow<'_, str>>, usize> {
    let mut out = Vec::new();
    if !line.contains('"') {
        out.extend(line.split(delim).map(Cow::Borrowed));
        return Ok(out);
    }
    let mut rest = line;
    let mut offset = 0;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if matches!(chars.peek(), Some((_, '"'))) {
                        value.push('"');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            let Some(end) = end else {
                return Err(offset + 1);
            };
            out.push(Cow::Owned(value));
            let after = &quoted[end..];
            match after.chars().next() {
                None => return Ok(out),
                Some(c) if c == delim => {
                    offset += 1 + end + c.len_utf8();
                    rest = &after[c.len_utf8()..];
                }
                // Text after the closing quote: an error at the quote that opened it.
                Some(_) => return Err(offset + 1),
            }
        } else {
            match rest.find(delim) {
                Some(i) => {
                    out.push(Cow::Borrowed(&rest[..i]));
                    offset += i + delim.len_utf8();
                    rest = &rest[i + delim.len_utf8()..];
                }
                None => {
                    out.push(Cow::Borrowed(rest));
                    return Ok(out);
                }
            }
        }
    }
}

/// `field` as it must be written between commas: quoted when it holds a comma, a quote,
/// or leading/trailing space.
pub fn quote(field: &str) -> Cow<'_, str> {
    let plain = !field.contains([',', '"', '\n', '\r']) && field.trim() == field;
    if plain {
        Cow::Borrowed(field)
    } else {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted_fields() {
        assert_eq!(split("a,b,,c", ',').unwrap(), vec!["a", "b", "", "c"]);
        assert_eq!(
            split(r#"x,"a, ""b""",y"#, ',').unwrap(),
            vec!["x", r#"a, "b""#, "y"]
        );
        assert_eq!(split(r#""only""#, ',').unwrap(), vec!["only"]);
        assert_eq!(split("a;\tb", ';').unwrap(), vec!["a", "\tb"]);
        assert_eq!(split(r#"a,"open"#, ',').unwrap_err(), 3);
        assert_eq!(split(r#""a"x,b"#, ',').unwrap_err(), 1);
    }

    #[test]
    fn quoting_round_trips() {
        for f in ["plain", "with space", "a,b", r#"say "hi""#, " lead"] {
            let line = format!("{},end", quote(f));
            assert_eq!(split(&line, ',').unwrap(), vec![f, "end"], "{f}");
        }
        assert_eq!(quote("plain"), "plain");
    }
}
