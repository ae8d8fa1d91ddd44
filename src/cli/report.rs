//! `pacsim report DIR`: draws `report.html` again from a run's output folder.

use super::{EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::report::{self, run_page, OutputFile};
use std::path::Path;

pub fn report(dir: &Path) -> i32 {
    if !dir.is_dir() {
        eprintln!(
            "error: {}: is not a folder\n  = hint: name the output folder of a run (`pacsim run FILE --out DIR`)",
            dir.display()
        );
        return EXIT_INVALID_INPUT;
    }
    let run = match run_page::load(&run_page::Dir(dir.to_path_buf())) {
        Ok(r) => r,
        Err(e) => {
            eprint!("{}", e.render(dir));
            return if e.io { EXIT_IO } else { EXIT_INVALID_INPUT };
        }
    };
    let file = OutputFile {
        path: report::REPORT_HTML.into(),
        bytes: run_page::render(&run).into_bytes(),
    };
    if let Err(e) = report::write_all(dir, std::slice::from_ref(&file)) {
        eprintln!(
            "pacsim: cannot write {}: {e}",
            dir.join(&file.path).display()
        );
        return EXIT_IO;
    }
    println!("{}", dir.join(&file.path).display());
    EXIT_OK
}
