//! Aligned text tables for the terminal: columns padded to their widest cell, numbers
//! right-aligned, two spaces between columns, the last column unpadded.

/// The lines of a table (`head` first), each indented by two spaces. `right[i]` aligns
/// column `i` to the right.
pub fn lines(head: &[&str], rows: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let n = head.len();
    let mut w = vec![0usize; n];
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    for r in std::iter::once(&head).chain(rows) {
        for (i, c) in r.iter().enumerate().take(n) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    std::iter::once(&head)
        .chain(rows)
        .map(|r| {
            let mut line = String::from(" ");
            for (i, c) in r.iter().enumerate().take(n) {
                let pad = w[i].saturating_sub(c.chars().count());
                line.push(' ');
                if i + 1 == n {
                    line.push_str(c);
                } else if right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                    line.push(' ');
                } else {
                    line.push_str(c);
                    line.push_str(&" ".repeat(pad));
                    line.push(' ');
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up() {
        let rows = vec![
            vec!["a".to_string(), "1".into(), "x".into()],
            vec!["bbb".to_string(), "22".into(), "".into()],
        ];
        assert_eq!(
            super::lines(&["name", "n", "note"], &rows, &[false, true]),
            ["  name   n  note", "  a      1  x", "  bbb   22"]
        );
    }
}
