//! The browser check: Chromium renders the report of every example scenario, headless.
//! The DOM it builds holds the summary's values and one `<svg>` per plot, the page's own
//! script ran (so the Content-Security-Policy allows exactly it), the page makes no
//! network request (Chromium's net log holds no request the page started — and a control
//! page that does fetch is caught by the same check), and a screenshot is produced. The
//! hostile-name scenario shows its name as text.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it), so the tests are `#[ignore]`d in a
//! plain `cargo test`; run them with
//! `cargo test --test integration -- --ignored browser::` (`PACSIM_CHROMIUM` names
//! another binary).

use crate::report::{plot_count, run_example_to, temp_dir};
use pacsim::report::html::format;
use pacsim::report::run_page::catalogue::describe_or_key;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn chromium() -> String {
    std::env::var("PACSIM_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// What Chromium made of one page.
struct Rendered {
    dom: String,
    net_log: serde_json::Value,
    screenshot: Vec<u8>,
}

/// Renders `page` headless with a fresh profile: the DOM, the net log and a screenshot
/// from one launch. The browser's own background traffic (update checks, sign-in) goes to
/// a proxy at a closed local port, so nothing leaves the machine either way.
fn render(page: &Path, tag: &str) -> Rendered {
    let work = temp_dir(&format!("chromium-{tag}"));
    std::fs::create_dir_all(&work).unwrap();
    let (net, shot) = (work.join("net.json"), work.join("shot.png"));
    let started = Instant::now();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            "--window-size=1280,2000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--log-net-log={}", net.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (apt-get install chromium)",
                chromium()
            )
        });
    assert!(
        out.status.success(),
        "chromium failed on {}",
        page.display()
    );
    eprintln!(
        "chromium rendered {} in {:.2?}",
        page.display(),
        started.elapsed()
    );
    let mut log = std::fs::read_to_string(&net).unwrap();
    // A log whose browser stopped before closing it lacks its end (Chromium's netlog
    // viewer accepts that too).
    if serde_json::from_str::<serde_json::Value>(&log).is_err() {
        log = format!("{}]}}", log.trim_end().trim_end_matches(','));
    }
    let r = Rendered {
        dom: String::from_utf8(out.stdout).unwrap(),
        net_log: serde_json::from_str(&log).expect("a net log"),
        screenshot: std::fs::read(&shot).unwrap(),
    };
    let _ = std::fs::remove_dir_all(&work);
    r
}

/// URLs of the requests the page started: a request's `initiator` is the page's origin
/// (`null` for a file), where the browser's own requests have none ("not an origin").
fn page_requests(net_log: &serde_json::Value) -> Vec<String> {
    let types = &net_log["constants"]["logEventTypes"];
    let start = types["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("a net log's event types");
    net_log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start))
        // The phase that opens the job carries its parameters; the closing one has none.
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

/// A whole PNG of the window's width, not one flat colour.
fn assert_screenshot(png_bytes: &[u8]) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 1280);
    let first = &buf[..3];
    assert!(
        buf.chunks(3).any(|px| px != first),
        "the screenshot is one flat colour"
    );
}

/// Text as Chromium serialises it in a DOM dump (HTML's serialisation algorithm).
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('\u{a0}', "&nbsp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An attribute value as Chromium serialises it (it escapes `<` and `>` there too).
fn dom_attr(s: &str) -> String {
    dom_text(s).replace('"', "&quot;")
}

fn check_example(stem: &str) -> PathBuf {
    let dir = run_example_to(stem, "browser", &[]);
    let r = render(&dir.join("report.html"), stem);
    // The page's script ran: the policy names its hash rightly.
    assert!(
        r.dom.contains("<html lang=\"en\" data-sort-ready=\"\">"),
        "{stem}: the sort script did not run"
    );
    assert_eq!(
        r.dom.matches("<svg").count(),
        plot_count(&dir),
        "{stem}: one <svg> per plot"
    );
    // Every metric of summary.json is in the rendered page, as the page shows it.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for (k, v) in summary["metrics"].as_object().unwrap() {
        let v = v.as_f64().unwrap_or(f64::NAN);
        let shown = dom_text(&format::value(v, describe_or_key(k).unit));
        let row = format!("<tr data-key=\"{}\"><td>{}</td>", dom_attr(k), dom_text(k));
        let at = r
            .dom
            .find(&row)
            .unwrap_or_else(|| panic!("{stem}: no row for {k}"));
        let row_end = at + r.dom[at..].find("</tr>").unwrap();
        assert!(
            r.dom[at..row_end].contains(&format!(">{shown}</td>")),
            "{stem}: {k} is not shown as {shown}"
        );
    }
    let name = summary["scenario"]["name"].as_str().unwrap();
    assert!(r.dom.contains(&format!("<h1>{}</h1>", dom_text(name))));
    let requests = page_requests(&r.net_log);
    assert!(
        requests.is_empty(),
        "{stem}: the page requested {requests:?}"
    );
    assert_screenshot(&r.screenshot);
    dir
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn chromium_renders_every_example_report_offline() {
    let started = Instant::now();
    let stems: Vec<String> = crate::golden::examples()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for stem in &stems {
        let dir = check_example(stem);
        let _ = std::fs::remove_dir_all(dir);
    }
    eprintln!(
        "{} example reports checked in Chromium in {:.2?}",
        stems.len(),
        started.elapsed()
    );
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn chromium_shows_a_hostile_name_as_text_and_runs_nothing_of_it() {
    let dir = run_example_to("hostile-names", "browser-hostile", &[]);
    let r = render(&dir.join("report.html"), "hostile");
    assert!(r
        .dom
        .contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    assert!(r
        .dom
        .contains("cl \"a\", &lt;img src=x onerror=alert(2)&gt;"));
    // The only script element is the page's own; no image element was made of a name.
    assert_eq!(r.dom.matches("<script").count(), 1);
    assert!(!r.dom.contains("<img"));
    assert!(page_requests(&r.net_log).is_empty());
    assert_screenshot(&r.screenshot);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn the_network_check_catches_a_page_that_fetches() {
    // A control: without the policy, a page with an image from elsewhere is caught.
    let dir = temp_dir("browser-control");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("fetches.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><img src=\"http://127.0.0.1:9/pixel.png\"></body></html>",
    )
    .unwrap();
    let r = render(&page, "control");
    assert_eq!(
        page_requests(&r.net_log),
        vec!["http://127.0.0.1:9/pixel.png"]
    );
    let _ = std::fs::remove_dir_all(dir);
}
