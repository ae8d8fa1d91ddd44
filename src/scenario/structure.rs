//! The parsed tree -> the raw serde types, collecting every structural problem
//! (unknown fields, missing fields, values of the wrong type) in one pass: an unknown field
//! is recorded and skipped; a missing or mistyped value is reported, replaced by a
//! placeholder, and deserialization retried, within a budget of work.

use super::diagnostic::{did_you_mean, Diagnostic};
use super::load::Limits;
use super::overrides::{remove_path, set_path};
use super::raw::RawScenario;
use super::source::{child_index, child_key, parent_path};
use serde_json::Value;
use std::collections::BTreeSet;

/// Deserializes the tree, collecting every structural problem. Unknown fields are
/// collected in one pass (the deserializer skips them); a missing or mistyped value stops
/// a pass, so it is reported, replaced by a placeholder, and the pass retried, within a
/// budget of work proportional to the file. Returns the parsed scenario only when nothing
/// How a value is named in messages.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "an empty value".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// but unknown fields was wrong, so that validation sees trustworthy values.
pub(super) fn deserialize_all_errors(value: Value) -> (Option<RawScenario>, Vec<Diagnostic>) {
    deserialize_all_errors_as(value)
}

/// [`deserialize_all_errors`] for any file read like a scenario (sweep and tolerance
/// files): the same strictness, the same messages.
pub(crate) fn deserialize_all_errors_as<T: serde::de::DeserializeOwned>(
    mut value: Value,
) -> (Option<T>, Vec<Diagnostic>) {
    let unknown = strict::Unknown::default();
    // Missing fields as (mapping path, field), and other problems.
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut others: Vec<Diagnostic> = Vec::new();
    // Paths given a placeholder, and how many placeholders were tried there.
    let mut patched: Vec<(String, usize)> = Vec::new();
    let passes = (Limits::MAX_STRUCTURAL_WORK / count_nodes(&value).max(1))
        .clamp(1, Limits::MAX_STRUCTURAL_ERRORS);
    let mut result = None;
    // Set when a problem cannot be patched over; the passes end there.
    let mut stuck = false;
    let mut used = 0;
    while used < passes && result.is_none() && !stuck {
        used += 1;
        let e = match serde_path_to_error::deserialize(strict::Strict::root(&value, &unknown)) {
            Ok(raw) => {
                result = Some(raw);
                continue;
            }
            Err(e) => e,
        };
        let path = path_string(e.path());
        let msg = e.inner().to_string();
        if let Some((field, expected)) = parse_unknown(&msg, "unknown field") {
            // From a visitor that checks its own fields (`{ choice: [...] }`, lifetimes);
            // the error's path may already end in the unknown key.
            let (full, parent) = if path == field || path.ends_with(&format!(".{field}")) {
                (path.clone(), parent_path(&path).to_string())
            } else {
                (child_key(&path, &field), path.clone())
            };
            unknown.record(full.clone(), parent, field, expected);
            stuck = !remove_path(&mut value, &full);
            continue;
        }
        // The path of the value to patch: a missing field is named by the message.
        let (target, missing_field) = match parse_unknown(&msg, "missing field") {
            Some((field, _)) => (child_key(&path, &field), Some(field)),
            None => (path.clone(), None),
        };
        let stage = match patched.iter_mut().find(|(p, _)| *p == target) {
            Some((_, stage)) => {
                *stage += 1;
                *stage
            }
            None => {
                patched.push((target.clone(), 0));
                match missing_field {
                    Some(field) => missing.push((path.clone(), field)),
                    None => others.push(type_error(path.clone(), &msg)),
                }
                0
            }
        };
        let placeholder = match stage {
            0 => Value::String(String::new()),
            1 => Value::Array(Vec::new()),
            2 => Value::Object(Default::default()),
            _ => {
                stuck = true;
                continue;
            }
        };
        stuck = !set_path(&mut value, &target, placeholder);
    }

    // Unknown fields, with a suggestion or where the field belongs.
    let mut diags = Vec::new();
    let mut suggested: BTreeSet<(String, String)> = BTreeSet::new();
    for u in unknown.into_entries() {
        let mut d = Diagnostic::new(u.path, format!("unknown field `{}`", u.field)).at_key();
        let home = FIELD_HOMES
            .iter()
            .find(|(f, _)| *f == u.field)
            .map(|(_, h)| *h);
        d = match (
            did_you_mean(&u.field, u.expected.iter().map(String::as_str)),
            home,
        ) {
            (Some(s), _) => {
                suggested.insert((u.parent, s.to_string()));
                d.hint(format!("did you mean `{s}`?"))
            }
            (None, Some(h)) => d.hint(format!("`{}` belongs in {h}, not here", u.field)),
            (None, None) if u.expected.is_empty() => d.hint("this mapping takes no fields"),
            (None, None) => d.hint(format!("expected one of: {}", u.expected.join(", "))),
        };
        diags.push(d);
    }
    // A missing field that an unknown one was suggested for is already explained
    // ("unknown field `mem_gb`; did you mean `memory`?").
    let gave_up = result.is_none() && !stuck;
    let sound = missing.is_empty() && others.is_empty() && result.is_some();
    // Missing fields inside a value already reported as the wrong type come from its
    // placeholder, not from the file.
    let under_bad_value = |p: &str| {
        others.iter().any(|d| {
            p == d.path
                || d.path.is_empty()
                || p.starts_with(&format!("{}.", d.path))
                || p.starts_with(&format!("{}[", d.path))
        })
    };
    for (parent, field) in missing {
        if !suggested.contains(&(parent.clone(), field.clone())) && !under_bad_value(&parent) {
            diags.push(missing_field(&parent, &field));
        }
    }
    diags.extend(others);
    if gave_up {
        diags.push(
            Diagnostic::new("", "too many problems; stopped looking for more")
                .hint("fix these first, then validate again")
                .unlocated(),
        );
    }
    (if sound { result } else { None }, diags)
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// Where a field that is unknown here belongs instead (fields with one home only).
const FIELD_HOMES: &[(&str, &str)] = &[
    ("seed", "the top level"),
    ("duration", "the top level"),
    ("metrics", "the top level"),
    ("clusters", "the top level"),
    ("images", "the top level"),
    ("workloads", "the top level"),
    ("sample_every", "`metrics`"),
    ("hosts", "a cluster (`clusters[].hosts`)"),
    ("datastores", "a cluster (`clusters[].datastores`)"),
    ("placement", "a cluster (`clusters[].placement`)"),
    ("pods", "a cluster (`clusters[].pods`)"),
    ("count", "a host group (`clusters[].hosts[]`)"),
    ("cores", "a host group (`clusters[].hosts[]`)"),
    ("sockets", "a host group (`clusters[].hosts[]`)"),
    ("cores_per_socket", "a host group (`clusters[].hosts[]`)"),
    ("mhz", "a host group (`clusters[].hosts[]`)"),
    ("nic", "a host group (`clusters[].hosts[]`)"),
    ("power", "a host group (`clusters[].hosts[]`)"),
    ("idle", "a host group's `power`"),
    ("spec", "a host group's `power`"),
    ("capacity", "a datastore (`clusters[].datastores[]`)"),
    ("throughput", "a datastore (`clusters[].datastores[]`)"),
    ("policy", "`placement`"),
    ("by", "`placement`"),
    ("startup_delay", "a cluster's `pods`"),
    ("image_pull_bandwidth", "a cluster's `pods`"),
    ("kind", "a workload (`workloads[]`)"),
    ("cluster", "a workload (`workloads[]`)"),
    ("arrival", "a workload (`workloads[]`)"),
    ("lifetime", "a workload (`workloads[]`)"),
    ("requests", "a pod-group workload"),
    ("limits", "a pod-group workload"),
    ("image", "a pod-group workload"),
    ("demand", "a workload (`workloads[]`)"),
    ("on_no_fit", "a workload (`workloads[]`)"),
    ("vcpus", "a vm-group's `size`"),
    ("reservation", "a vm-group's `size`"),
    ("at_start", "`arrival`"),
    ("poisson", "`arrival`"),
    ("times", "`arrival`"),
    ("rate", "`arrival.poisson`"),
    ("offered_load", "`arrival.poisson`"),
    ("fixed", "`lifetime`"),
    ("exponential", "`lifetime`"),
    ("lognormal", "`lifetime`"),
    ("uniform", "`lifetime`"),
    ("constant", "`demand`"),
];

/// Examples for fields that are left out.
const FIELD_EXAMPLES: &[(&str, &str)] = &[
    ("duration", "duration: 24h"),
    ("clusters", "clusters: [ { name: cl-a, hosts: [...] } ]"),
    (
        "hosts",
        "hosts: [ { name: esx, count: 4, cores: 32, mhz: 2600, memory: 512GiB } ]",
    ),
    ("count", "count: 4"),
    ("mhz", "mhz: 2600"),
    ("memory", "memory: 512GiB"),
    ("kind", "kind: vm-group"),
    ("arrival", "arrival: { poisson: { rate: 2/h } }"),
    ("type", "type: vsan"),
    ("capacity", "capacity: 40TiB"),
    ("policy", "policy: least-loaded"),
    ("vcpus", "vcpus: 4"),
    ("mean", "mean: 6h"),
    ("median", "median: 20m"),
    ("sigma", "sigma: 0.8"),
    ("choice", "choice: [1, 2, 4]"),
];

fn missing_field(parent: &str, field: &str) -> Diagnostic {
    let whose = if parent.is_empty() {
        "the scenario".to_string()
    } else {
        format!("`{parent}`")
    };
    let hint = match FIELD_EXAMPLES.iter().find(|(f, _)| *f == field) {
        Some((_, e)) => format!("add e.g. `{e}`"),
        None if field == "size" && parent.starts_with("images") => {
            "add e.g. `size: 200MB`".to_string()
        }
        None if field == "size" => "add e.g. `size: { vcpus: 4, memory: 16GiB }`".to_string(),
        None => format!("add `{field}: ...`; `pacsim schema` describes the format"),
    };
    Diagnostic::new(
        parent,
        format!("{whose} lacks the required field `{field}`"),
    )
    .hint(hint)
}

/// Rewrites serde's "invalid type: X, expected Y" as "expected Y, found X".
fn type_error(path: String, msg: &str) -> Diagnostic {
    let Some(rest) = msg.strip_prefix("invalid type: ") else {
        return Diagnostic::new(path, msg.to_string()).hint("`pacsim schema` describes the format");
    };
    let (found, expected) = rest
        .rsplit_once(", expected ")
        .unwrap_or((rest, "another type"));
    // serde's own names for what it found (from visitors that reject a type themselves).
    let found = if let Some(n) = found
        .strip_prefix("integer ")
        .or_else(|| found.strip_prefix("floating point "))
    {
        format!("the number {n}")
    } else if let Some(t) = found.strip_prefix("string ") {
        format!("the text `{}`", t.trim_matches('"'))
    } else {
        match found {
            "sequence" => "a list".to_string(),
            "map" => "a mapping".to_string(),
            "unit value" => "an empty value".to_string(),
            f => f.strip_prefix("boolean ").unwrap_or(f).to_string(),
        }
    };
    let found = found.as_str();
    let expected = match expected {
        "a sequence" => "a list",
        "a string" => "text",
        e if e.starts_with("struct ") => "a mapping of fields",
        e => e,
    };
    let hint = if expected == "a list" && found == "a mapping" {
        "write one item per line starting with `- ` (e.g. `- name: ...`), or `[a, b]`"
    } else if expected == "a list" {
        "write one item per line starting with `- `, or `[a, b]`"
    } else if expected == "a mapping of fields" {
        "write `key: value` lines indented below, or `{ key: value, ... }`"
    } else if found.starts_with("an empty value") {
        "give a value, or remove the line"
    } else if expected == "text" && found.starts_with("the number") {
        "quote it to make it text, e.g. `name: \"2024\"`"
    } else {
        "`pacsim schema` describes the format"
    };
    Diagnostic::new(path, format!("expected {expected}, found {found}")).hint(hint)
}

fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut s = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => s = child_index(&s, *index),
            Segment::Map { key } => s = child_key(&s, key),
            Segment::Enum { variant } => s = child_key(&s, variant),
            Segment::Unknown => {}
        }
    }
    s
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" and "missing field `x`".
fn parse_unknown(msg: &str, prefix: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix(prefix)?;
    let mut ticks = rest.split('`').skip(1).step_by(2).map(str::to_string);
    let field = ticks.next()?;
    Some((field, ticks.collect()))
}

/// A deserializer over the parsed tree that is stricter than `serde_json::Value`'s: a
/// struct must be written as a mapping (serde would also take a list of its fields in
/// order, which no scenario means), mismatched types are named the way a YAML user
/// thinks of them, and unknown fields of a struct are recorded and skipped, so that one
/// pass finds them all.
mod strict {
    use super::{child_index, child_key, describe};
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Error, Value};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// An unknown field: its path, the mapping's path, its name, the fields expected.
    pub struct UnknownField {
        pub path: String,
        pub parent: String,
        pub field: String,
        pub expected: Vec<String>,
    }

    /// Unknown fields found so far, by path (so later passes do not repeat them).
    #[derive(Default)]
    pub struct Unknown(RefCell<BTreeMap<String, UnknownField>>);

    impl Unknown {
        pub fn record(&self, path: String, parent: String, field: String, expected: Vec<String>) {
            self.0
                .borrow_mut()
                .entry(path.clone())
                .or_insert(UnknownField {
                    path,
                    parent,
                    field,
                    expected,
                });
        }

        pub fn into_entries(self) -> Vec<UnknownField> {
            self.0.into_inner().into_values().collect()
        }
    }

    pub struct Strict<'a> {
        value: &'a Value,
        path: String,
        unknown: &'a Unknown,
    }

    impl<'a> Strict<'a> {
        pub fn root(value: &'a Value, unknown: &'a Unknown) -> Self {
            Strict {
                value,
                path: String::new(),
                unknown,
            }
        }

        fn wrong<T>(&self, exp: &dyn de::Expected) -> Result<T, Error> {
            Err(de::Error::invalid_type(
                de::Unexpected::Other(&describe(self.value)),
                exp,
            ))
        }

        fn map(
            &self,
            m: &'a serde_json::Map<String, Value>,
            fields: Option<&'static [&'static str]>,
        ) -> Map<'a> {
            Map {
                iter: m.iter(),
                value: None,
                path: self.path.clone(),
                fields,
                unknown: self.unknown,
            }
        }
    }

    impl<'de> Deserializer<'de> for Strict<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Null => self.wrong(&v),
                // Visitors that take no boolean refuse it themselves.
                Value::Bool(b) => v.visit_bool(*b),
                Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                    (Some(u), _, _) => v.visit_u64(u),
                    (None, Some(i), _) => v.visit_i64(i),
                    (None, None, Some(f)) => v.visit_f64(f),
                    _ => self.wrong(&v),
                },
                Value::String(s) => v.visit_str(s),
                Value::Array(a) => v.visit_seq(Seq {
                    iter: a.iter().enumerate(),
                    path: self.path.clone(),
                    unknown: self.unknown,
                }),
                Value::Object(m) => v.visit_map(self.map(m, None)),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Null => v.visit_none(),
                _ => v.visit_some(self),
            }
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Error> {
            match self.value {
                Value::Object(m) => v.visit_map(self.map(m, Some(fields))),
                _ => self.wrong(&v),
            }
        }

        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Array(_) => self.deserialize_any(v),
                _ => self.wrong(&v),
            }
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_newtype_struct(self)
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_unit()
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf unit unit_struct tuple tuple_struct map enum identifier
        }
    }

    struct Seq<'a> {
        iter: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
        path: String,
        unknown: &'a Unknown,
    }

    impl<'de> SeqAccess<'de> for Seq<'_> {
        type Error = Error;
        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            match self.iter.next() {
                Some((i, value)) => seed
                    .deserialize(Strict {
                        value,
                        path: child_index(&self.path, i),
                        unknown: self.unknown,
                    })
                    .map(Some),
                None => Ok(None),
            }
        }
        fn size_hint(&self) -> Option<usize> {
            Some(self.iter.len())
        }
    }

    struct Map<'a> {
        iter: serde_json::map::Iter<'a>,
        value: Option<(&'a String, &'a Value)>,
        path: String,
        /// The fields of the struct being read; other keys are recorded and skipped.
        fields: Option<&'static [&'static str]>,
        unknown: &'a Unknown,
    }

    impl<'de> MapAccess<'de> for Map<'_> {
        type Error = Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            for (k, v) in self.iter.by_ref() {
                if let Some(fields) = self.fields {
                    if !fields.contains(&k.as_str()) {
                        self.unknown.record(
                            child_key(&self.path, k),
                            self.path.clone(),
                            k.clone(),
                            fields.iter().map(|f| f.to_string()).collect(),
                        );
                        continue;
                    }
                }
                self.value = Some((k, v));
                return seed
                    .deserialize(de::value::StrDeserializer::<Error>::new(k))
                    .map(Some);
            }
            Ok(None)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            match self.value.take() {
                Some((k, value)) => seed.deserialize(Strict {
                    value,
                    path: child_key(&self.path, k),
                    unknown: self.unknown,
                }),
                None => Err(de::Error::custom("a value was asked for before its key")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn field_homes_name_real_fields() {
        let schema = crate::scenario::raw::schema_json();
        for (field, _) in FIELD_HOMES.iter().chain(FIELD_EXAMPLES) {
            assert!(
                schema.contains(&format!("\"{field}\"")),
                "`{field}` is not a scenario field"
            );
        }
    }

    #[test]
    fn a_struct_written_as_a_list_is_refused() {
        let text =
            "name: pos\nduration: 1h\nclusters: [[cl-a, [[esx, 4, 32, ~, ~, 2600, 512GiB]]]]\n";
        let e = load_str("t.yaml", text, &[]).unwrap_err();
        assert!(
            e.render()
                .contains("expected a mapping of fields, found a list"),
            "{}",
            e.render()
        );
    }

    #[test]
    fn structural_errors_are_all_collected() {
        let text = "name: x\nclusters:\n  - name: a\n    hosts: {}\n    colour: red\n";
        let e = load_str("t.yaml", text, &[]).unwrap_err();
        let msgs: Vec<&str> = e.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("`duration`")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("`colour`")), "{msgs:?}");
        assert!(
            msgs.iter().any(|m| m.contains("expected a list")),
            "{msgs:?}"
        );
    }
}
