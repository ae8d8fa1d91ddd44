//! vMotion: pre-copy live migration and its concurrency limits (issue 3, in progress).
