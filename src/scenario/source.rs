//! Where each field of a scenario file is: a map from field path
//! (`clusters[0].hosts[1].memory`) to line and column, built from the YAML parser's events.
//!
//! Validation works on typed values and reports problems by path; this map turns the path
//! back into a position in the file. It is built after the file parsed under the loader's
//! budgets (or, for a duplicate key, parsed but for that key), and only when there is an
//! error to show; [`SourceMap::build_for`] keeps just the paths that the errors name, so
//! its memory stays small whatever the file.

use serde_saphyr::granit_parser::{Event, Parser};
use std::collections::{BTreeMap, BTreeSet};

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Default)]
pub struct SourceMap {
    /// Position of the key of each mapping entry.
    keys: BTreeMap<String, Pos>,
    /// Position of each value (scalar, or the start of a mapping/sequence).
    values: BTreeMap<String, Pos>,
    /// Keys given twice in one mapping: (path, first position, second position).
    duplicates: Vec<(String, Pos, Pos)>,
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        /// Keys of this mapping so far, to find duplicates.
        seen: BTreeMap<String, Pos>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

pub fn child_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

pub fn child_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

impl SourceMap {
    /// Maps every path of the file.
    pub fn build(text: &str) -> SourceMap {
        Self::build_with(text, &|_| true)
    }

    /// Maps only `paths` and their ancestors (what rendering the errors needs).
    pub fn build_for(text: &str, paths: &[&str]) -> SourceMap {
        let mut wanted = BTreeSet::new();
        for p in paths {
            let mut p = *p;
            loop {
                if !wanted.insert(p.to_string()) || p.is_empty() {
                    break;
                }
                p = parent_path(p);
            }
        }
        Self::build_with(text, &|p| wanted.contains(p))
    }

    fn build_with(text: &str, keep: &dyn Fn(&str) -> bool) -> SourceMap {
        let mut map = SourceMap::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut depth_docs = 0;
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let pos = Pos {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            match event {
                Event::DocumentStart(..) => {
                    depth_docs += 1;
                    if depth_docs > 1 {
                        break; // only the first document is a scenario
                    }
                }
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map { path, key, seen }) = stack.last_mut() {
                        if key.is_none() {
                            let full = child_key(path, &value);
                            match seen.get(value.as_ref()) {
                                Some(first) => map.duplicates.push((full.clone(), *first, pos)),
                                None => {
                                    seen.insert(value.to_string(), pos);
                                }
                            }
                            if keep(&full) {
                                map.keys.entry(full).or_insert(pos);
                            }
                            *key = Some(value.into_owned());
                            continue;
                        }
                    }
                    let path = map.value_path(&mut stack);
                    if keep(&path) {
                        map.values.entry(path).or_insert(pos);
                    }
                }
                Event::Alias(_) => {
                    let path = map.value_path(&mut stack);
                    if keep(&path) {
                        map.values.entry(path).or_insert(pos);
                    }
                }
                Event::MappingStart(..) => {
                    let path = map.value_path(&mut stack);
                    if keep(&path) {
                        map.values.entry(path.clone()).or_insert(pos);
                    }
                    stack.push(Frame::Map {
                        path,
                        key: None,
                        seen: BTreeMap::new(),
                    });
                }
                Event::SequenceStart(..) => {
                    let path = map.value_path(&mut stack);
                    if keep(&path) {
                        map.values.entry(path.clone()).or_insert(pos);
                    }
                    stack.push(Frame::Seq { path, index: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        map
    }

    /// The path of the value that starts now, advancing the enclosing container.
    fn value_path(&self, stack: &mut [Frame]) -> String {
        match stack.last_mut() {
            None => String::new(),
            Some(Frame::Map { path, key, .. }) => {
                // A non-scalar key (rare) has no name: use a placeholder.
                let k = key.take().unwrap_or_else(|| "?".into());
                child_key(path, &k)
            }
            Some(Frame::Seq { path, index }) => {
                let p = child_index(path, *index);
                *index += 1;
                p
            }
        }
    }

    /// Keys given twice in one mapping, in file order: (path, first, second position).
    pub fn duplicates(&self) -> &[(String, Pos, Pos)] {
        &self.duplicates
    }

    /// Position of a value, else of its key, else of the nearest ancestor.
    pub fn value_pos(&self, path: &str) -> Option<Pos> {
        self.lookup(path, true)
    }

    /// Position of a key, else of its value, else of the nearest ancestor.
    pub fn key_pos(&self, path: &str) -> Option<Pos> {
        self.lookup(path, false)
    }

    fn lookup(&self, path: &str, value_first: bool) -> Option<Pos> {
        let mut p = path;
        loop {
            let (a, b) = if value_first {
                (&self.values, &self.keys)
            } else {
                (&self.keys, &self.values)
            };
            if let Some(pos) = a.get(p).or_else(|| b.get(p)) {
                return Some(*pos);
            }
            if p.is_empty() {
                return None;
            }
            p = parent_path(p);
        }
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``.
pub fn parent_path(path: &str) -> &str {
    if path.ends_with(']') {
        if let Some(i) = path.rfind('[') {
            return &path[..i];
        }
    }
    match path.rfind('.') {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "name: x\nclusters:\n  - name: a\n    hosts:\n      - { name: esx, count: 2 }\n";

    #[test]
    fn paths_map_to_lines_and_columns() {
        let m = SourceMap::build(TEXT);
        assert_eq!(m.value_pos("name"), Some(Pos { line: 1, column: 7 }));
        assert_eq!(
            m.key_pos("clusters[0].name"),
            Some(Pos { line: 3, column: 5 })
        );
        assert_eq!(
            m.value_pos("clusters[0].hosts[0].count"),
            Some(Pos {
                line: 5,
                column: 29
            })
        );
    }

    #[test]
    fn a_partial_map_keeps_the_asked_paths_and_finds_duplicates() {
        let m = SourceMap::build_for(TEXT, &["clusters[0].hosts[0].count"]);
        assert_eq!(
            m.value_pos("clusters[0].hosts[0].count"),
            Some(Pos {
                line: 5,
                column: 29
            })
        );
        assert_eq!(m.values.len() + m.keys.len(), 9);
        let d = SourceMap::build("a: 1\nb:\n  c: 2\n  c: 3\n");
        assert_eq!(
            d.duplicates(),
            &[(
                "b.c".to_string(),
                Pos { line: 3, column: 3 },
                Pos { line: 4, column: 3 }
            )]
        );
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let m = SourceMap::build(TEXT);
        assert_eq!(
            m.value_pos("clusters[0].hosts[0].nic"),
            m.value_pos("clusters[0].hosts[0]")
        );
        assert_eq!(parent_path("a.b[2]"), "a.b");
        assert_eq!(parent_path("a"), "");
    }
}
