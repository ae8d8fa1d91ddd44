//! The run report: `report.html` is self-contained (no URL, no fetch, one inline SVG per
//! plot), shows every name as text, is the same bytes when `pacsim report DIR` draws it
//! again, and a folder that is not a whole run's output is refused with the file named.
//!
//! The browser check (Chromium rendering these pages) is in `browser.rs`.

use assert_cmd::Command;
use pacsim::report::run_page;
use std::path::{Path, PathBuf};

fn pacsim() -> Command {
    let mut c = Command::cargo_bin("pacsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("RUST_BACKTRACE");
    c
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pacsim-report-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs an example scenario (by file stem) through the CLI into a fresh folder.
pub fn run_example_to(stem: &str, tag: &str, extra: &[&str]) -> PathBuf {
    let out = temp_dir(&format!("{tag}-{stem}"));
    pacsim()
        .args([
            "run",
            &format!("scenarios/examples/{stem}.yaml"),
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// Elements that load something or embed another document.
const LOADING_ELEMENTS: [&str; 14] = [
    "link", "img", "iframe", "frame", "object", "embed", "base", "audio", "video", "source",
    "track", "picture", "input", "image",
];
/// Attributes that make a browser fetch (or act on a URL without a click), and inline
/// styles and handlers (which the policy forbids anyway).
const LOADING_ATTRIBUTES: [&str; 10] = [
    "src",
    "srcset",
    "data",
    "poster",
    "action",
    "formaction",
    "background",
    "ping",
    "style",
    "xlink:href",
];

/// A tag's name and its attributes.
type Tag = (String, Vec<(String, String)>);

/// Every tag of `html` (name, attributes), skipping the bodies of `<script>` and
/// `<style>`, which are returned apart.
fn tags(html: &str) -> (Vec<Tag>, Vec<String>) {
    let (mut tags, mut bodies) = (Vec::new(), Vec::new());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("a tag ends");
        let inner = rest[..end].trim_end_matches('/');
        rest = &rest[end + 1..];
        if inner.starts_with('!') || inner.starts_with('/') {
            continue;
        }
        let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut a = inner[name_end..].trim_start();
        while !a.is_empty() {
            let k_end = a.find(['=', ' ']).unwrap_or(a.len());
            let key = a[..k_end].to_ascii_lowercase();
            a = &a[k_end..];
            let value = if let Some(v) = a.strip_prefix("=\"") {
                let e = v.find('"').expect("a quoted value ends");
                let value = v[..e].to_string();
                a = &v[e + 1..];
                value
            } else {
                String::new()
            };
            attrs.push((key, value));
            a = a.trim_start();
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            let e = rest.find(&close).expect("closed");
            bodies.push(rest[..e].to_string());
            rest = &rest[e + close.len()..];
        }
        tags.push((name, attrs));
    }
    (tags, bodies)
}

/// Checks the page in `dir` fetches nothing and links only to files beside it: the
/// policy comes first, no element or attribute loads anything, no attribute holds a URL,
/// the style sheet imports nothing, every link is a fragment of the page or a file beside
/// it, and there is one inline SVG per plot.
pub fn assert_self_contained(dir: &Path) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let head = &html[..html.find("</head>").unwrap()];
    assert!(
        head.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;;"),
        "the policy comes first: {head}"
    );
    let (tags, bodies) = tags(&html);
    for (name, attrs) in &tags {
        assert!(
            !LOADING_ELEMENTS.contains(&name.as_str()),
            "<{name}> in {}",
            dir.display()
        );
        for (k, v) in attrs {
            assert!(!LOADING_ATTRIBUTES.contains(&k.as_str()), "<{name} {k}=…>");
            assert!(!k.starts_with("on"), "a handler <{name} {k}=…>");
            assert!(
                !v.contains("://") && !v.to_ascii_lowercase().contains("url("),
                "<{name} {k}=\"{v}\">"
            );
            if k == "href" {
                if let Some(frag) = v.strip_prefix('#') {
                    assert!(html.contains(&format!("id=\"{frag}\"")), "dangling #{frag}");
                } else {
                    assert!(
                        dir.join(v).is_file(),
                        "{}: links to {v}, not beside it",
                        dir.display()
                    );
                }
            }
        }
    }
    for b in bodies {
        let b = b.to_ascii_lowercase();
        for bad in [
            "url(",
            "@import",
            "://",
            "fetch(",
            "xmlhttprequest",
            "websocket",
            "import(",
        ] {
            assert!(!b.contains(bad), "`{bad}` in a style or script");
        }
    }
    let plots = plot_count(dir);
    assert_eq!(
        html.matches("<svg").count(),
        plots,
        "one inline SVG per plot"
    );
}

/// The plots a run drew (`plots/*.svg`).
pub fn plot_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("plots")).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count()
    })
}

fn examples() -> Vec<String> {
    crate::golden::examples()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_example_writes_a_self_contained_report_that_pacsim_report_draws_again() {
    for stem in examples() {
        let dir = run_example_to(&stem, "self", &[]);
        assert_self_contained(&dir);
        let first = std::fs::read(dir.join("report.html")).unwrap();
        // Drawn again from the files on disk: the same bytes.
        std::fs::remove_file(dir.join("report.html")).unwrap();
        pacsim().arg("report").arg(&dir).assert().success();
        let again = std::fs::read(dir.join("report.html")).unwrap();
        assert!(first == again, "{stem}: pacsim report drew other bytes");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_report_shows_the_identity_key_results_and_the_sections_with_data() {
    let dir = run_example_to("drs-imbalance", "sections", &[]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let hash = summary["scenario"]["hash"].as_str().unwrap();
    assert!(html.contains(&format!("<dt>scenario hash</dt><dd>{hash}</dd>")));
    assert!(html.contains("<dt>seed</dt><dd>3</dd>"));
    assert!(html.contains(&format!("<dd>{}</dd>", env!("CARGO_PKG_VERSION"))));
    // Key results with units and meanings.
    assert!(html.contains("<tr data-key=\"hosts\"><td>hosts</td><td class=\"num\" data-sort=\"8\">8</td><td>ESXi hosts in the datacenter</td></tr>"), "{html}");
    let migrations = summary["metrics"]["migrations"].as_u64().unwrap();
    assert!(html.contains(&format!("<tr data-key=\"migrations\"><td>vMotions</td><td class=\"num\" data-sort=\"{migrations}\">{migrations}</td>")));
    // DRS and vMotion have data here; maintenance and DPM do not.
    for id in [
        "results",
        "utilisation",
        "drs",
        "vmotion",
        "energy",
        "metrics",
        "files",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "no {id}");
    }
    assert!(!html.contains("<section id=\"hosts\">"));
    // The largest recommendation of drs.jsonl is listed with its reason.
    let best = std::fs::read_to_string(dir.join("drs.jsonl"))
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["recommendations"].as_array().unwrap().clone()
        })
        .max_by(|a, b| {
            a["gain"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["gain"].as_f64().unwrap())
        })
        .unwrap();
    let row = format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        best["vm"].as_str().unwrap(),
        best["from"].as_str().unwrap(),
        best["to"].as_str().unwrap(),
        best["reason"].as_str().unwrap()
    );
    assert!(html.contains(&row), "{row}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hostile_scenario_shows_its_names_as_text() {
    let dir = run_example_to("hostile-names", "hostile", &[]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    for shown in [
        "cl &quot;a&quot;, &lt;img src=x onerror=alert(2)&gt;",
        "&lt;/td&gt;&lt;script&gt;alert(4)&lt;/script&gt;",
        "esx&lt;b&gt;&amp;amp;",
    ] {
        assert!(html.contains(shown), "{shown} is not shown as text");
    }
    // The only script is the page's own table sorter.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script>document.querySelectorAll('table.sortable')"));
    assert!(!html.contains("<img"));
    assert!(!html.to_ascii_lowercase().contains("onerror=alert(2)>"));
    assert_self_contained(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_report_writes_no_page_and_a_name_with_a_slash_gets_a_safe_default_folder() {
    let dir = run_example_to("quickstart", "none", &["--no-report", "--no-plots"]);
    assert!(dir.join("summary.json").is_file());
    assert!(!dir.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
    let s = pacsim::scenario::load_file(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples/hostile-names.yaml"),
        &[],
    )
    .unwrap();
    assert_eq!(s.folder_name(), "<script>alert(1)<_script>");
}

#[test]
fn a_report_without_plots_still_draws() {
    let dir = run_example_to("quickstart", "noplots", &["--no-plots"]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<svg"));
    assert!(html.contains("<section id=\"results\">"));
    assert_self_contained(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_metric_the_examples_write_is_described() {
    for path in crate::golden::examples() {
        let summary = crate::golden::run_summary(&path, &[]);
        for key in summary["metrics"].as_object().unwrap().keys() {
            assert!(
                run_page::catalogue::describe(key).is_some(),
                "{key} has no label, unit and meaning in report/run_page/catalogue.rs"
            );
        }
    }
}

/// A copy of the folder `from` (plots included) at `to`.
fn copy_run(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("plots")).unwrap();
    for sub in ["", "plots"] {
        for e in std::fs::read_dir(from.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, to.join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
}

/// `pacsim report` on a copy of the run `pristine` after `break_it`: exit 2 and the
/// message, with the folder written `<DIR>`.
fn refused(pristine: &Path, tag: &str, break_it: &dyn Fn(&Path)) -> String {
    let dir = temp_dir(&format!("bad-{tag}"));
    copy_run(pristine, &dir);
    break_it(&dir);
    let out = pacsim().arg("report").arg(&dir).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{tag}: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&dir);
    stderr.replace(&dir.display().to_string(), "<DIR>")
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let p = dir.join(file);
    let s = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(s)).unwrap();
}

fn truncate(dir: &Path, file: &str, keep: f64) {
    let p = dir.join(file);
    let b = std::fs::read(&p).unwrap();
    std::fs::write(&p, &b[..(b.len() as f64 * keep) as usize]).unwrap();
}

#[test]
fn pacsim_report_refuses_what_is_not_a_whole_run() {
    // One run, copied for each way of breaking it.
    let pristine = run_example_to("drs-imbalance", "pristine", &[]);
    let refused = |tag: &str, break_it: &dyn Fn(&Path)| refused(&pristine, tag, break_it);
    let mut all = String::new();
    let mut case = |tag: &str, msg: String| {
        assert!(msg.starts_with("error: "), "{tag}: {msg}");
        assert!(msg.contains("= hint: "), "{tag}: {msg}");
        all.push_str(&format!("--- {tag}\n{msg}"));
    };
    case(
        "not a folder",
        refused("file", &|d| {
            std::fs::remove_dir_all(d).unwrap();
            std::fs::write(d, "x").unwrap();
        }),
    );
    case(
        "an empty folder",
        refused("empty", &|d| {
            std::fs::remove_dir_all(d).unwrap();
            std::fs::create_dir(d).unwrap();
        }),
    );
    case(
        "summary.json missing",
        refused("nosummary", &|d| {
            std::fs::remove_file(d.join("summary.json")).unwrap()
        }),
    );
    case(
        "summary.json truncated",
        refused("cutsummary", &|d| truncate(d, "summary.json", 0.5)),
    );
    case(
        "a metric edited into text",
        refused("textmetric", &|d| {
            edit(d, "summary.json", |s| {
                s.replace("\"hosts\": 8", "\"hosts\": \"eight\"")
            })
        }),
    );
    case(
        "timeseries.csv missing",
        refused("nots", &|d| {
            std::fs::remove_file(d.join("timeseries.csv")).unwrap()
        }),
    );
    case(
        "timeseries.csv truncated",
        refused("cutts", &|d| truncate(d, "timeseries.csv", 0.5)),
    );
    case(
        "a number in timeseries.csv edited",
        refused("editts", &|d| {
            edit(d, "timeseries.csv", |s| s.replacen("\n0,", "\nzero,", 1))
        }),
    );
    case(
        "host_cpu.csv lost rows",
        refused("hostrows", &|d| {
            edit(d, "host_cpu.csv", |s| {
                let lines: Vec<&str> = s.lines().collect();
                lines[..lines.len() - 3].join("\n") + "\n"
            })
        }),
    );
    case(
        "drs.jsonl edited",
        refused("drs", &|d| {
            edit(d, "drs.jsonl", |s| {
                s.replacen("\"imbalance_before\"", "\"imbalance\"", 1)
            })
        }),
    );
    case(
        "drs.jsonl truncated",
        refused("cutdrs", &|d| truncate(d, "drs.jsonl", 0.5)),
    );
    case(
        "an SVG plot truncated",
        refused("cutsvg", &|d| truncate(d, "plots/instances.svg", 0.5)),
    );
    case(
        "a script put in an SVG plot",
        refused("svgscript", &|d| {
            edit(d, "plots/instances.svg", |s| {
                s.replace("</svg>", "<script>alert(1)</script></svg>")
            })
        }),
    );
    case(
        "a PNG plot truncated",
        refused("cutpng", &|d| truncate(d, "plots/drs_passes.png", 0.5)),
    );
    case(
        "an SVG plot deleted",
        refused("nosvg", &|d| {
            std::fs::remove_file(d.join("plots/drs_passes.svg")).unwrap()
        }),
    );
    // Line, row and column numbers follow the example's outputs; the messages are what
    // is pinned.
    let shape: String = all
        .split(|c: char| c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("N");
    insta::assert_snapshot!("report-refusals", shape);
    let _ = std::fs::remove_dir_all(&pristine);
}
