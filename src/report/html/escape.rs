//! Escaping: everything that reaches a page from outside pacsim's own code (scenario,
//! cluster, host and workload names, DRS reasons, sweep axis values) goes through here, so
//! a scenario named `<script>alert(1)</script>` shows that text and runs nothing.

/// Escapes `s` for HTML text and for a double- or single-quoted attribute value: the five
/// characters that can end a text run or an attribute (`& < > " '`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appended to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A fragment id (`id=`, `href="#…"`) made from any text: letters, digits, `-` and `_`
/// kept, everything else `-`. Ids never carry markup, whatever the name.
pub fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_tag_becomes_text() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn quotes_and_ampersands_cannot_end_an_attribute() {
        assert_eq!(
            escape(r#"a" onclick='x' &amp;"#),
            "a&quot; onclick=&#39;x&#39; &amp;amp;"
        );
    }

    #[test]
    fn slugs_keep_only_safe_characters() {
        assert_eq!(slug("cl-a"), "cl-a");
        assert_eq!(slug("<b>\"x\""), "-b--x-");
        assert_eq!(slug(""), "x");
    }
}
