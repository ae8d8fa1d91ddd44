//! Bad input gets a clear error: every file in `scenarios/invalid/` is refused by
//! `pacsim validate` with exit code 2 and a message (snapshotted, one per file) that says
//! what is wrong, where, and what to do; hostile inputs that are not committed (a huge
//! file, a non-UTF-8 path, a missing file, a folder) are refused quickly too, and a run of
//! an invalid scenario writes nothing.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test integration invalid`
//! (or `cargo insta review`), then read every changed one as a user would.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long any one refusal may take (a debug build on a loaded CI machine).
const QUICK: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pacsim() -> Command {
    let mut c = Command::cargo_bin("pacsim").unwrap();
    c.current_dir(root());
    c.env_remove("RUST_BACKTRACE");
    c.timeout(Duration::from_secs(60));
    c
}

/// Runs pacsim, checks that it refused the input as invalid (exit 2, an `error:`, no
/// panic) within [`QUICK`], and returns stdout and stderr.
fn refused(args: &[&std::ffi::OsStr]) -> (String, String) {
    let started = Instant::now();
    let out = pacsim().args(args).output().unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "pacsim {args:?} should exit 2 (invalid input)\nstderr:\n{stderr}"
    );
    assert!(stderr.contains("error:"), "no `error:` in:\n{stderr}");
    for bad in ["panicked", "RUST_BACKTRACE", "internal error"] {
        assert!(!stderr.contains(bad), "`{bad}` in:\n{stderr}");
    }
    assert!(took < QUICK, "pacsim {args:?} took {took:?}");
    (stdout, stderr)
}

/// The corpus, sorted by name, so that a new file is picked up without editing this test.
fn corpus() -> Vec<PathBuf> {
    let dir = root().join("scenarios/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_is_large_and_each_file_says_what_is_broken() {
    let files = corpus();
    assert!(files.len() >= 24, "only {} invalid scenarios", files.len());
    let mut stems: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.dedup();
    assert_eq!(
        stems.len(),
        files.len(),
        "two files share a name: {stems:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy();
        // Files whose point is their bytes (empty, binary) have no room for a comment.
        let exempt = bytes.is_empty() || name.ends_with(".bin");
        assert!(
            exempt || bytes.starts_with(b"# "),
            "{name} should start with a `# ` comment saying what is broken"
        );
        assert!(bytes.len() < 64 * 1024, "{name} is not small");
    }
}

#[test]
fn every_invalid_scenario_is_refused_with_a_clear_message() {
    for file in corpus() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("scenarios/invalid/{name}");
        let (stdout, stderr) = refused(&["validate".as_ref(), rel.as_ref()]);
        assert!(stdout.is_empty(), "{name}: stdout is not empty:\n{stdout}");
        // Every problem points at the file, and says what to do.
        assert!(stderr.contains(&format!("--> {rel}")), "{name}:\n{stderr}");
        let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        let hints = stderr
            .lines()
            .filter(|l| l.starts_with("   = hint: "))
            .count();
        assert_eq!(errors, hints, "{name}: an error without a hint:\n{stderr}");
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(stem, stderr);
    }
}

#[test]
fn several_errors_are_reported_at_once() {
    let (_, stderr) = refused(&[
        "validate".as_ref(),
        "scenarios/invalid/several-errors.yaml".as_ref(),
    ]);
    for expected in [
        "the host count is 0",
        "unknown size unit `gigs`",
        "unknown field `colour`",
        "unknown placement policy `random`",
        "no image is named `redis`",
        "5 errors in",
    ] {
        assert!(
            stderr.contains(expected),
            "`{expected}` missing from:\n{stderr}"
        );
    }
}

#[test]
fn a_workload_that_fits_nowhere_names_the_largest_host() {
    let (_, stderr) = refused(&[
        "validate".as_ref(),
        "scenarios/invalid/workload-fits-no-host.yaml".as_ref(),
    ]);
    let first = stderr.lines().next().unwrap();
    assert!(
        first.contains("512 GiB") && first.contains("`large`"),
        "{stderr}"
    );
}

/// A file in the temporary folder, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(what: &str) -> TempPath {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        TempPath(std::env::temp_dir().join(format!(
            "pacsim-invalid-{}-{nanos}-{n}-{what}",
            std::process::id()
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_file_over_100_mb_is_refused_without_reading_it() {
    let big = TempPath::new("big.yaml");
    let f = std::fs::File::create(&big.0).unwrap();
    // Sparse: the size is there, the disk blocks are not.
    f.set_len(101 * 1024 * 1024).unwrap();
    drop(f);
    let (_, stderr) = refused(&["validate".as_ref(), big.0.as_os_str()]);
    assert!(stderr.contains("larger than the limit"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn an_endless_device_is_cut_off_at_the_size_limit() {
    if Path::new("/dev/zero").exists() {
        let (_, stderr) = refused(&["validate".as_ref(), "/dev/zero".as_ref()]);
        assert!(stderr.contains("larger than the limit"), "{stderr}");
    }
}

#[test]
fn deep_nesting_generated_at_test_time_is_refused() {
    let deep = TempPath::new("deep.yaml");
    let n = 100_000;
    let text = format!(
        "name: deep\nduration: 1h\nclusters: {}{}\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    std::fs::write(&deep.0, text).unwrap();
    let (_, stderr) = refused(&["validate".as_ref(), deep.0.as_os_str()]);
    assert!(stderr.contains("nested more than 64 levels"), "{stderr}");
}

#[test]
fn large_files_full_of_problems_are_reported_quickly() {
    // Up to the size limit, many structural problems near the end (each costs a pass
    // over the file) and thousands of unknown fields: the time stays bounded and the
    // report is cut to a readable length.
    let mut text = String::from("name: big\nduration: 1h\nclusters:\n  - name: a\n    hosts:\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "      - {{ name: e{i}, count: 1, cores: 32, mhz: 2600, memory: 512GiB }}\n"
        ));
    }
    for i in 0..300 {
        text.push_str(&format!(
            "      - {{ name: f{i}, cores: 32, mhz: 2600, typo{i}: 1 }}\n"
        ));
    }
    let f = TempPath::new("many-problems.yaml");
    std::fs::write(&f.0, text).unwrap();
    let (_, stderr) = refused(&["validate".as_ref(), f.0.as_os_str()]);
    assert!(stderr.contains("more not shown"), "{stderr}");
    assert!(
        stderr.lines().count() < 500,
        "{} lines",
        stderr.lines().count()
    );
}

#[cfg(unix)]
#[test]
fn a_non_utf8_path_is_shown_and_refused() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempPath::new("dir");
    std::fs::create_dir(&dir.0).unwrap();
    let path = dir.0.join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml"));
    if std::fs::write(&path, "name: x\nduration: forever\nclusters: []\n").is_err() {
        return; // a file system that refuses such names
    }
    let (_, stderr) = refused(&["validate".as_ref(), path.as_os_str()]);
    assert!(stderr.contains("caf\u{fffd}.yaml"), "{stderr}");
    assert!(stderr.contains("`forever` is not a duration"), "{stderr}");
    // And one that does not exist.
    let missing = dir.0.join(std::ffi::OsStr::from_bytes(b"\xff\xfe.yaml"));
    let (_, stderr) = refused(&["validate".as_ref(), missing.as_os_str()]);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn a_missing_file_and_a_folder_are_refused() {
    let (_, stderr) = refused(&[
        "validate".as_ref(),
        "scenarios/invalid/no-such-file.yaml".as_ref(),
    ]);
    assert!(stderr.contains("the file does not exist"), "{stderr}");
    let (_, stderr) = refused(&["validate".as_ref(), "scenarios/invalid".as_ref()]);
    assert!(stderr.contains("a folder"), "{stderr}");
}

#[test]
fn validate_checks_every_file_and_fails_if_any_is_invalid() {
    let (stdout, stderr) = refused(&[
        "validate".as_ref(),
        "scenarios/examples/quickstart.yaml".as_ref(),
        "scenarios/invalid/zero-cores.yaml".as_ref(),
    ]);
    assert!(
        stdout.contains("ok: scenarios/examples/quickstart.yaml"),
        "{stdout}"
    );
    assert!(stderr.contains("zero-cores.yaml"), "{stderr}");
}

#[test]
fn running_an_invalid_scenario_writes_nothing() {
    let out = TempPath::new("out");
    for file in [
        "several-errors.yaml",
        "yaml-alias-bomb.yaml",
        "binary-garbage.bin",
    ] {
        let rel = format!("scenarios/invalid/{file}");
        let (stdout, _) = refused(&[
            "run".as_ref(),
            rel.as_ref(),
            "--out".as_ref(),
            out.0.as_os_str(),
        ]);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            !out.0.exists(),
            "`pacsim run {rel}` created {}",
            out.0.display()
        );
    }
}

/// Loads text in-process and checks that a refusal renders as a report.
fn load_never_panics(text: &str) {
    if let Err(e) = pacsim::scenario::load_str("t.yaml", text, &[]) {
        let report = e.render();
        assert!(report.starts_with("error: "), "{report}");
        assert!(report.contains("t.yaml"), "{report}");
    }
}

#[test]
fn every_truncation_of_an_example_loads_or_is_refused_cleanly() {
    let text = std::fs::read_to_string(root().join("scenarios/examples/quickstart.yaml")).unwrap();
    for (i, _) in text.char_indices() {
        load_never_panics(&text[..i]);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    #[test]
    fn edited_examples_load_or_are_refused_cleanly(
        edits in proptest::collection::vec((0usize..4000, proptest::sample::select(vec![
            "", " ", "\t", "\n", ":", "- ", "[", "]", "{", "}", "#", "&a ", "*a", "\"", "0", "-1",
            ".nan", "1e999", "~", "GiB", "x", "---\n", "\u{0}", "é", "? ",
        ])), 1..6)
    ) {
        let mut text = std::fs::read_to_string(root().join("scenarios/examples/quickstart.yaml")).unwrap();
        for (at, insert) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            // Replace one character with the insertion (or delete it).
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            text.replace_range(at..end, insert);
        }
        load_never_panics(&text);
    }
}
