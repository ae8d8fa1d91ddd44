//! `--set path=value`: field paths (`clusters[0].hosts[0].count`) and edits of the parsed
//! tree at a path.

use super::diagnostic::{did_you_mean, Diagnostic};
use super::source::{child_index, child_key};
use super::yaml::parse_yaml;
use serde_json::Value;

/// Splits `clusters[0].hosts[0].count` into segments.
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && segs.is_empty() && rest.is_empty() {
            return Err("empty path".into());
        }
        if !key.is_empty() {
            match key.parse::<usize>() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => segs.push(Seg::Key(key.to_string())),
            }
        } else if rest.is_empty() {
            return Err(format!("empty segment in `{path}`"));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("missing `]` in `{path}`"))?;
            let idx = rest[1..close]
                .parse::<usize>()
                .map_err(|_| format!("`{}` is not an index", &rest[1..close]))?;
            segs.push(Seg::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{rest}` in `{path}`"));
            }
        }
    }
    Ok(segs)
}

/// Applies `path=value`; returns the canonical path.
pub(super) fn apply_override(root: &mut Value, arg: &str) -> Result<String, Diagnostic> {
    let bad = |msg: String| {
        Diagnostic::new("", msg)
            .hint("write --set path=value, e.g. --set clusters[0].hosts[0].count=16")
    };
    let (path, raw_value) = arg
        .split_once('=')
        .ok_or_else(|| bad(format!("`{arg}` has no `=`")))?;
    let segs = parse_path(path.trim()).map_err(|m| bad(format!("bad path in `{arg}`: {m}")))?;
    let new_value = if raw_value.trim().is_empty() {
        Value::String(String::new())
    } else {
        parse_yaml(raw_value).map_err(|d| Diagnostic { hint: Some("the value is read as YAML: a number, a string, or a flow mapping such as {policy: best-fit}".into()), ..d })?
    };
    let mut canonical = String::new();
    let mut node = root;
    let n = segs.len();
    let next_is_index: Vec<bool> = (0..n)
        .map(|i| matches!(segs.get(i + 1), Some(Seg::Index(_))))
        .collect();
    for (i, seg) in segs.into_iter().enumerate() {
        let last = i + 1 == n;
        match seg {
            Seg::Key(k) => {
                canonical = child_key(&canonical, &k);
                let Value::Object(map) = node else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: its parent is not a mapping"),
                    ));
                };
                if last {
                    map.insert(k, new_value);
                    return Ok(canonical);
                }
                // A missing mapping is created (it may be an optional section), but a
                // missing list cannot be indexed: name the fields that are there.
                if next_is_index[i] && !map.contains_key(&k) {
                    let d = Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}[..]`: there is no list `{k}` here"),
                    );
                    return Err(match did_you_mean(&k, map.keys().map(String::as_str)) {
                        Some(s) => d.hint(format!("did you mean `{s}`?")),
                        None => d.hint("check the path against the scenario file"),
                    });
                }
                node = map
                    .entry(k)
                    .or_insert_with(|| Value::Object(Default::default()));
            }
            Seg::Index(idx) => {
                canonical = child_index(&canonical, idx);
                let Value::Array(items) = node else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: its parent is not a list"),
                    ));
                };
                let len = items.len();
                let Some(slot) = items.get_mut(idx) else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: the list has {len} item(s)"),
                    ));
                };
                if last {
                    *slot = new_value;
                    return Ok(canonical);
                }
                node = slot;
            }
        }
    }
    Err(bad("empty path".into()))
}

/// The node at `path`'s parent, and the last segment.
fn parent_node<'a>(root: &'a mut Value, path: &str) -> Option<(&'a mut Value, Seg)> {
    let mut segs = parse_path(path).ok()?;
    let last = segs.pop()?;
    let mut node = root;
    for seg in segs {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(&k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(i)?,
            _ => return None,
        };
    }
    Some((node, last))
}

pub(super) fn remove_path(root: &mut Value, path: &str) -> bool {
    match parent_node(root, path) {
        Some((Value::Object(m), Seg::Key(k))) => m.remove(&k).is_some(),
        _ => false,
    }
}

pub(super) fn set_path(root: &mut Value, path: &str, v: Value) -> bool {
    if path.is_empty() {
        return false;
    }
    match parent_node(root, path) {
        Some((Value::Object(m), Seg::Key(k))) => {
            m.insert(k, v);
            true
        }
        Some((Value::Array(a), Seg::Index(i))) if i < a.len() => {
            a[i] = v;
            true
        }
        _ => false,
    }
}

/// The value at `path` in a parsed tree (`clusters[0].hosts[0].count`), if there is one.
pub fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = root;
    for seg in parse_path(path).ok()? {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => m.get(&k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(i)?,
            _ => return None,
        };
    }
    Some(node)
}
