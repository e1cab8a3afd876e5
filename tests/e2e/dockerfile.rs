//! The Dockerfile builds from exactly what it copies: its build stage's
//! `COPY` lines are taken as written, those files alone are put in an empty
//! folder, and the binary is checked there (Docker itself cannot run here).

use std::{path::Path, process::Command};

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir").flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).expect("copy");
    }
}

#[test]
fn the_dockerfile_builds_from_what_it_copies() {
    if crate::common::POSTGRES {
        return; // once is enough: the e2e binary runs it
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("Dockerfile");
    let build_stage: Vec<&str> = dockerfile
        .lines()
        .skip_while(|l| !l.starts_with("FROM"))
        .skip(1)
        .take_while(|l| !l.starts_with("FROM"))
        .collect();
    let context = crate::common::TempDir::new();
    let mut copied = Vec::new();
    for line in build_stage.iter().filter_map(|l| l.strip_prefix("COPY ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (sources, dest) = words.split_at(words.len() - 1);
        let dest = dest[0].trim_start_matches("./");
        for source in sources {
            let target = if dest.is_empty() || dest.ends_with('/') && sources.len() > 1 {
                context.0.join(dest).join(source)
            } else if dest == "." {
                context.0.join(source)
            } else {
                context.0.join(dest)
            };
            copy_tree(&root.join(source), &target);
            copied.push(source.to_string());
        }
    }
    assert!(copied.contains(&"Cargo.lock".to_string()), "{copied:?}");
    let target = root.join("target").join("dockerfile");
    // At the lowest priority, on one core: the suite's timed tests run
    // beside it.
    let out = Command::new("nice")
        .args([
            "-n",
            "19",
            env!("CARGO"),
            "check",
            "--locked",
            "--offline",
            "-j",
            "1",
        ])
        .args(["--bin", "faturabot"])
        .current_dir(&context.0)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "the image would not build from {copied:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
