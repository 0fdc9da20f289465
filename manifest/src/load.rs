//! Finding the manifest files of `-f`: a file, every `*.yaml`/`*.yml` of a directory (not its
//! subdirectories) in name order, or `-` for stdin. The same reader serves `stack deploy -c`.

use crate::parse::Source;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why the files named on the command line cannot be read. Each I/O error is kept as the
/// source, so `{:#}` prints `cannot read web.yaml: No such file or directory (os error 2)`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("-f - (stdin) can be given only once")]
    StdinTwice,
    #[error("cannot read the manifests from stdin")]
    Stdin(#[source] std::io::Error),
    #[error("{}: no .yaml or .yml file in this directory", .0.display())]
    EmptyDir(PathBuf),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot list {}", .dir.display())]
    List {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads every source `-f` names, in order.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Source>, LoadError> {
    let mut sources = Vec::new();
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_read {
                return Err(LoadError::StdinTwice);
            }
            stdin_read = true;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(LoadError::Stdin)?;
            sources.push(Source {
                name: "<stdin>".into(),
                text: text.into(),
            });
        } else if path.is_dir() {
            let files = yaml_files(path)?;
            if files.is_empty() {
                return Err(LoadError::EmptyDir(path.clone()));
            }
            for file in files {
                sources.push(read(&file)?);
            }
        } else {
            sources.push(read(path)?);
        }
    }
    Ok(sources)
}

fn read(path: &Path) -> Result<Source, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Source {
        name: path.display().to_string(),
        text: text.into(),
    })
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let list_error = |source: std::io::Error| LoadError::List {
        dir: dir.to_path_buf(),
        source,
    };
    let entries = std::fs::read_dir(dir).map_err(list_error)?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(list_error)?.path();
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_yaml_files_in_name_order() {
        let dir = std::env::temp_dir().join(format!("shoalctl-load-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in ["b.yml", "a.yaml", "notes.txt", "sub/c.yaml"] {
            std::fs::write(dir.join(name), format!("# {name}\n")).unwrap();
        }
        let sources = load(std::slice::from_ref(&dir)).unwrap();
        let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
        assert_eq!(
            names,
            [
                dir.join("a.yaml").display().to_string(),
                dir.join("b.yml").display().to_string()
            ]
        );
        assert_eq!(&*sources[1].text, "# b.yml\n");
        let empty = dir.join("sub/empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = load(&[empty]).unwrap_err();
        assert!(e.to_string().contains("no .yaml or .yml file"), "{e}");
        let e = load(&[dir.join("missing.yaml")]).unwrap_err();
        assert!(e.to_string().starts_with("cannot read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
