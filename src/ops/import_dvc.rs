//! `mlx import dvc`: turn the DVC project in this repository into an mlx project, in place.
//! `dvc.yaml` becomes stages in `mlx.toml`, `dvc.lock` becomes `mlx.lock`, `.dvc` files become
//! `PATH.mlx` pointers (keeping DVC's MD5 so fetching can read the DVC remote as it is),
//! `.dvcignore` becomes `.mlxignore`, the DVC cache's objects enter the mlx cache (each checked
//! against its MD5), and `.dvc/config` remotes become mlx remotes. DVC's files stay in place;
//! running it again changes nothing; with `dry_run` nothing is written. What could not be
//! converted is in the report, with why.

use std::path::Path;

use serde::Serialize;
use toml_edit::{DocumentMut, Item, Table};

use super::Result;
use crate::config::{self, RemoteConfig};
use crate::dvc::cache::DvcCache;
use crate::dvc::data::Source;
use crate::dvc::files::{DvcFile, DvcLock};
use crate::dvc::{self, DVC_DIR};
use crate::fs_util;
use crate::pipeline::lock::LockFile;
use crate::pipeline::params::WorkTreeFiles;
use crate::progress::Reporter;
use crate::project::{MLX_DIR, Project};
use crate::project_path::RelPath;
use crate::remote::url;
use crate::store::StatCache;
use crate::store::pointer::{self, Kind, Pointer};
use crate::store::stat_cache::Rows;
use crate::work_tree::gitignore;

pub use crate::dvc::pipeline::Problem;

pub struct ImportOptions {
    /// Report what would be done; write nothing.
    pub dry_run: bool,
}

/// Data tracked with a `.dvc` file, now an mlx pointer.
#[derive(Debug, Serialize)]
pub struct ImportedData {
    pub path: String,
    pub kind: Kind,
    pub hash: String,
    pub size: u64,
    pub files: u64,
    pub dvc_md5: String,
    /// The `.dvc` file it came from.
    pub from: String,
}

/// A `dvc.lock` stage, now an `mlx.lock` entry.
#[derive(Debug, Serialize)]
pub struct LockedStage {
    pub stage: String,
    /// Where mlx sees the stage as `dvc.lock` does not (it runs again): empty when it is up to
    /// date for both.
    pub differences: Vec<String>,
}

/// A DVC remote, now an mlx remote.
#[derive(Debug, Serialize)]
pub struct ImportedRemote {
    pub name: String,
    /// Password redacted.
    pub url: String,
    pub default: bool,
    /// Settings written to `.mlx/config.local.toml` (their names, never their values).
    pub local_settings: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Files written (with `dry_run`: that would be), relative to the root.
    pub written: Vec<String>,
    pub data: Vec<ImportedData>,
    /// Stages declared in `mlx.toml` (as in `dvc.yaml`, before `foreach`/`matrix` expansion).
    pub stages: Vec<String>,
    pub locked_stages: Vec<LockedStage>,
    pub remotes: Vec<ImportedRemote>,
    /// Objects put into the mlx cache (with `dry_run`: checked), and their bytes.
    pub objects_imported: u64,
    pub bytes_imported: u64,
    /// What was not converted, and why. Not empty: the command exits with 1.
    pub not_converted: Vec<Problem>,
    /// What was converted with a difference worth knowing.
    pub notes: Vec<Problem>,
}

impl ImportReport {
    pub fn is_complete(&self) -> bool {
        self.not_converted.is_empty()
    }

    fn problem(&mut self, place: impl Into<String>, reason: impl Into<String>) {
        self.not_converted.push(Problem { place: place.into(), reason: reason.into() });
    }
}

struct Run<'a> {
    project: &'a Project,
    source: Source<'a>,
    report: ImportReport,
    dry_run: bool,
}

pub fn run(
    project: &Project,
    opts: &ImportOptions,
    reporter: &dyn Reporter,
) -> Result<ImportReport> {
    let root = project.root();
    if !root.join(DVC_DIR).is_dir() {
        return Err(dvc::Error::NotDvc(DVC_DIR.into()).into());
    }
    let _lock = if opts.dry_run { None } else { Some(project.lock(reporter)?) };
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::Files)?;
    let dvc_cache = DvcCache::new(dvc_cache_dir(root));
    let mut run = Run {
        project,
        source: Source { project, dvc: &dvc_cache, stat: &stat, dry_run: opts.dry_run },
        report: ImportReport { dry_run: opts.dry_run, ..ImportReport::default() },
        dry_run: opts.dry_run,
    };
    let walked = walk(root);
    run.ignores(&walked.ignores)?;
    run.dvc_files(&walked.dvc_files)?;
    let mut doc_text = fs_util_read(&root.join(config::PROJECT_FILE))?.unwrap_or_default();
    let mut doc: DocumentMut = doc_text.parse().map_err(|e: toml_edit::TomlError| {
        crate::project::Error::from(crate::config::Error::parse_at(
            Path::new(config::PROJECT_FILE),
            &doc_text,
            e.span(),
            e.message(),
        ))
    })?;
    let mut local_doc = LocalFile::load(root)?;
    let pipeline_ok = run.pipeline(&mut doc)?;
    run.remotes(&mut doc, &mut local_doc)?;
    if doc.to_string() != doc_text {
        keep_trailing_comments(&mut doc);
        let new_text = doc.to_string();
        run.write(&RelPath::new(config::PROJECT_FILE).expect("valid"), new_text.as_bytes())?;
        doc_text = new_text;
    }
    local_doc.save(&mut run)?;
    if pipeline_ok {
        run.lock(&doc_text)?;
    }
    stat.save(&mut conn)?;
    let mut report = run.report;
    report.written.sort();
    report.written.dedup();
    Ok(report)
}

/// DVC's cache folder: `.dvc/cache` (a `cache.dir` setting elsewhere is not followed: the
/// repository must not choose which folders of this machine are read).
fn dvc_cache_dir(root: &Path) -> std::path::PathBuf {
    root.join(DVC_DIR).join("cache")
}

fn fs_util_read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Ok(Some(fs_err::read_to_string(path)?)),
    }
}

struct Walked {
    dvc_files: Vec<RelPath>,
    ignores: Vec<RelPath>,
}

/// The `.dvc` and `.dvcignore` files of the work tree (git-ignored folders, `.git`, `.dvc` and
/// `.mlx` skipped; symlinks not followed).
fn walk(root: &Path) -> Walked {
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .standard_filters(false)
        .hidden(false)
        .git_ignore(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            !(e.depth() == 1
                && (e.file_name() == ".git"
                    || e.file_name() == MLX_DIR
                    || e.file_name() == DVC_DIR))
        });
    let mut out = Walked { dvc_files: Vec::new(), ignores: Vec::new() };
    for entry in walker.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        let Ok(rel) = RelPath::new(rel) else { continue };
        let name = entry.file_name().as_encoded_bytes();
        if name == b".dvcignore" {
            out.ignores.push(rel);
        } else if name.ends_with(b".dvc") && name.len() > 4 {
            out.dvc_files.push(rel);
        }
    }
    out.dvc_files.sort();
    out.ignores.sort();
    out
}

impl Run<'_> {
    fn root(&self) -> &Path {
        self.project.root()
    }

    /// Write a file through the work tree's gate (or, in a dry run, only note it).
    fn write(&mut self, rel: &RelPath, bytes: &[u8]) -> Result<()> {
        let abs = self.project.work_tree().writable(rel)?;
        if !self.dry_run {
            fs_util::write_atomic(&abs, bytes)?;
        }
        self.report.written.push(rel.to_string());
        Ok(())
    }

    fn gitignore(&mut self, target: &RelPath) -> Result<()> {
        if self.dry_run {
            let beside = match target.parent() {
                Some(p) => self.root().join(p.as_path()).join(".gitignore"),
                None => self.root().join(".gitignore"),
            };
            let line = gitignore::pattern_for(target.file_name().as_encoded_bytes());
            let present = std::fs::read(&beside)
                .is_ok_and(|b| b.split(|&c| c == b'\n').any(|l| l == line.as_slice()));
            if !present {
                let rel = target
                    .parent()
                    .map_or_else(|| ".gitignore".to_owned(), |p| format!("{p}/.gitignore"));
                self.report.written.push(rel);
            }
            return Ok(());
        }
        if let Some(g) = gitignore::add_entry(self.project.work_tree(), target)? {
            self.report.written.push(g.to_string());
        }
        Ok(())
    }

    /// `.dvcignore` → `.mlxignore` beside it (same syntax).
    fn ignores(&mut self, files: &[RelPath]) -> Result<()> {
        for f in files {
            let text = fs_err::read_to_string(self.root().join(f.as_path()))?;
            let target = match f.parent() {
                Some(p) => p.join(&RelPath::new(".mlxignore").expect("valid")),
                None => RelPath::new(".mlxignore").expect("valid"),
            };
            let abs = self.project.work_tree().writable(&target)?;
            match fs_util_read(&abs)? {
                None => self.write(&target, text.as_bytes())?,
                Some(existing) => {
                    let have: std::collections::HashSet<&str> =
                        existing.lines().map(str::trim).collect();
                    let missing: Vec<&str> = text
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#') && !have.contains(l))
                        .collect();
                    if !missing.is_empty() {
                        let mut merged = existing.clone();
                        if !merged.ends_with('\n') && !merged.is_empty() {
                            merged.push('\n');
                        }
                        merged.push_str(&format!("# from {f}\n"));
                        for l in missing {
                            merged.push_str(l);
                            merged.push('\n');
                        }
                        self.write(&target, merged.as_bytes())?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `.dvc` files → pointers.
    fn dvc_files(&mut self, files: &[RelPath]) -> Result<()> {
        for f in files {
            let place = f.to_string();
            let text = fs_err::read_to_string(self.root().join(f.as_path()))?;
            let parsed = match DvcFile::parse(&place, &text) {
                Ok(p) => p,
                Err(e) => {
                    self.report.problem(&place, e.to_string());
                    continue;
                }
            };
            if !parsed.deps.is_empty() || parsed.cmd.is_some() {
                self.report.problem(
                    &place,
                    "data imported from elsewhere (`dvc import`, `import-url`) or an old-style \
                     stage file: not converted; track the data with `mlx add`",
                );
                continue;
            }
            if parsed.frozen {
                self.report.notes.push(Problem {
                    place: place.clone(),
                    reason: "frozen: mlx pointers have no frozen state".into(),
                });
            }
            let dir = f.parent();
            let base = match (&dir, parsed.wdir.as_deref()) {
                (_, Some(w)) => match dvc::project_path(dir.as_ref(), w) {
                    Ok(b) => Some(b),
                    Err(_) if w == "." || w.is_empty() => dir.clone(),
                    Err(e) => {
                        self.report.problem(&place, format!("wdir: {e}"));
                        continue;
                    }
                },
                (d, None) => d.clone(),
            };
            for out in &parsed.outs {
                self.dvc_out(&place, base.as_ref(), out)?;
            }
        }
        Ok(())
    }

    fn dvc_out(
        &mut self,
        place: &str,
        base: Option<&RelPath>,
        out: &crate::dvc::files::Entry,
    ) -> Result<()> {
        let target = match dvc::project_path(base, &out.path)
            .and_then(|t| crate::work_tree::check_data_path(&t).map(|()| t))
        {
            Ok(t) => t,
            Err(e) => {
                self.report.problem(format!("{place}: {}", out.path), e.to_string());
                return Ok(());
            }
        };
        let here = format!("{place}: {target}");
        for key in out.unsupported_keys() {
            self.report.problem(&here, format!("`{key}` is not kept: mlx has no such setting"));
        }
        if !out.cache {
            self.report
                .problem(&here, "`cache: false`: git tracks the data itself; no pointer written");
            return Ok(());
        }
        let pointer_rel = pointer::pointer_path(&target);
        if let Err(e) = self.project.work_tree().writable(&pointer_rel) {
            self.report.problem(&here, e.to_string());
            return Ok(());
        }
        if std::fs::symlink_metadata(self.root().join(target.as_path()))
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            self.report.problem(&here, "the data is a symlink; not imported");
            return Ok(());
        }
        let imported = match self.source.import(&target, out)? {
            Ok(i) => i,
            Err(why) => {
                self.report.problem(&here, why);
                return Ok(());
            }
        };
        self.report.objects_imported += imported.new_objects;
        self.report.bytes_imported += imported.new_bytes;
        let mut p = Pointer::new(imported.kind, imported.hash, imported.size, imported.files);
        p.dvc_md5 = Some(imported.md5.clone());
        let existing = Pointer::read(self.root(), &target).ok();
        if existing.as_ref() != Some(&p) {
            self.write(&pointer_rel, p.encode(&target).as_bytes())?;
        }
        self.gitignore(&target)?;
        self.report.data.push(ImportedData {
            path: target.to_string(),
            kind: imported.kind,
            hash: imported.hash.to_hex(),
            size: imported.size,
            files: imported.files,
            dvc_md5: imported.md5,
            from: place.to_owned(),
        });
        Ok(())
    }

    /// `dvc.yaml` → keys of `mlx.toml`. True when the stages are in `doc` (converted now or
    /// by an earlier import), so `dvc.lock` can be converted against them.
    fn pipeline(&mut self, doc: &mut DocumentMut) -> Result<bool> {
        let Some(text) = fs_util_read(&self.root().join("dvc.yaml"))? else {
            return Ok(false);
        };
        let converted = match dvc::pipeline::convert(&text, self.root()) {
            Ok(c) => c,
            Err(e) => {
                self.report.problem("dvc.yaml", e.to_string());
                return Ok(false);
            }
        };
        self.report.not_converted.extend(converted.problems);
        self.report.notes.extend(converted.notes);
        let generated = converted.doc;
        let existing: toml::Table = toml::from_str(&doc.to_string()).unwrap_or_default();
        let as_value = |key: &str, item: &Item| -> Option<toml::Value> {
            let mut d = DocumentMut::new();
            d.insert(key, item.clone());
            toml::from_str::<toml::Table>(&d.to_string()).ok()?.remove(key)
        };
        let mut stages_ok = false;
        for (key, item) in generated.iter() {
            if key == "plots" {
                let Some(plots) = item.as_table() else { continue };
                let mut target =
                    doc.remove("plots").and_then(|i| i.into_table().ok()).unwrap_or_else(|| {
                        let mut t = Table::new();
                        t.set_implicit(true);
                        t
                    });
                for (name, plot) in plots.iter() {
                    let have = existing.get("plots").and_then(|p| p.get(name));
                    match have {
                        None => {
                            target.insert(name, plot.clone());
                        }
                        Some(h) if as_value(name, plot).as_ref() == Some(h) => {}
                        Some(_) => self.report.problem(
                            format!("plots.{name}"),
                            "mlx.toml already has a different plot of that name",
                        ),
                    }
                }
                doc.insert("plots", Item::Table(target));
                continue;
            }
            match existing.get(key) {
                None => {
                    doc.insert(key, item.clone());
                    stages_ok |= key == "stages";
                }
                Some(h) if as_value(key, item).as_ref() == Some(h) => stages_ok |= key == "stages",
                Some(_) => self.report.problem(
                    key,
                    format!(
                        "mlx.toml already has a different `{key}`; remove it to import dvc.yaml's"
                    ),
                ),
            }
        }
        // Top-level keys this mlx may not read yet (a top-level `metrics` list).
        if let Err(e) = config::Config::parse(Path::new(config::PROJECT_FILE), &doc.to_string())
            && doc.contains_key("metrics")
            && !existing.contains_key("metrics")
        {
            doc.remove("metrics");
            self.report.problem("metrics", format!("not converted: {e}"));
        }
        if !stages_ok {
            return Ok(false);
        }
        let files = WorkTreeFiles::new(self.root());
        if let Err(e) = crate::pipeline::spec::parse_using(
            Path::new(config::PROJECT_FILE),
            &doc.to_string(),
            &files,
        ) {
            if !existing.contains_key("stages") {
                doc.remove("stages");
            }
            self.report.problem("stages", format!("mlx cannot run the converted pipeline: {e}"));
            return Ok(false);
        }
        if let Some(stages) = doc.get("stages").and_then(Item::as_table) {
            self.report.stages = stages.iter().map(|(k, _)| k.to_owned()).collect();
        }
        Ok(true)
    }

    /// `dvc.lock` → `mlx.lock`, against the pipeline of `mlx_toml`.
    fn lock(&mut self, mlx_toml: &str) -> Result<()> {
        let Some(text) = fs_util_read(&self.root().join("dvc.lock"))? else { return Ok(()) };
        let dvc_lock = match DvcLock::parse(&text) {
            Ok(l) => l,
            Err(e) => {
                self.report.problem("dvc.lock", e.to_string());
                return Ok(());
            }
        };
        let project = self.project;
        let files = WorkTreeFiles::new(project.root());
        let Some(pipeline) =
            crate::pipeline::spec::parse_using(Path::new(config::PROJECT_FILE), mlx_toml, &files)?
        else {
            return Ok(());
        };
        let mut lock = LockFile::read(self.root())?;
        let before = lock.encode();
        for name in dvc_lock.stages.keys() {
            if !pipeline.stages.iter().any(|s| s.name.as_str() == name) {
                self.report.notes.push(Problem {
                    place: format!("dvc.lock: {name}"),
                    reason: "no such stage in dvc.yaml; not converted".into(),
                });
            }
        }
        for stage in &pipeline.stages {
            let Some(dvc_stage) = dvc_lock.stages.get(stage.name.as_str()) else { continue };
            let c = match dvc::lock::convert(&self.source, &files, stage, dvc_stage) {
                Ok(c) => c,
                Err(e) => {
                    self.report.problem(format!("dvc.lock: {}", stage.name), e.to_string());
                    continue;
                }
            };
            for (out, why) in c.problems {
                self.report.problem(format!("dvc.lock: {}: {out}", stage.name), why);
            }
            self.report.objects_imported += c.new_objects;
            self.report.bytes_imported += c.new_bytes;
            for out in &c.cached_outs {
                self.gitignore(out)?;
            }
            lock.stages.insert(stage.name.to_string(), c.entry);
            self.report
                .locked_stages
                .push(LockedStage { stage: stage.name.to_string(), differences: c.differences });
        }
        let after = lock.encode();
        if after != before {
            self.write(
                &RelPath::new(crate::pipeline::lock::FILE).expect("valid"),
                after.as_bytes(),
            )?;
        }
        Ok(())
    }

    /// `.dvc/config` and `.dvc/config.local` remotes → `[remotes.NAME]` tables.
    fn remotes(&mut self, doc: &mut DocumentMut, local: &mut LocalFile) -> Result<()> {
        let read = |name: &str| fs_util_read(&self.root().join(DVC_DIR).join(name));
        let shared = read("config")?.unwrap_or_default();
        let local_text = read("config.local")?.unwrap_or_default();
        let converted = match dvc::remotes::convert(&shared, &local_text) {
            Ok(c) => c,
            Err(e) => {
                self.report.problem(".dvc/config", e.to_string());
                return Ok(());
            }
        };
        let existing: toml::Table = toml::from_str(&doc.to_string()).unwrap_or_default();
        let existing_remotes = existing.get("remotes").and_then(toml::Value::as_table);
        for mut r in converted.remotes {
            let place = format!("remote {}", r.name);
            for (key, why) in &r.skipped {
                self.report.problem(format!("{place}: {key}"), why.clone());
            }
            let Some(u) = r.shared.url.clone() else { continue };
            // A password in the URL stays out of the committed file.
            if url::has_password(&u) {
                r.local.url = r.shared.url.take();
            }
            let (shared_cfg, local_cfg) = if r.only_local {
                (RemoteConfig::default(), r.shared.merged_with(r.local))
            } else {
                (r.shared, r.local)
            };
            let shared_table = remote_table(&shared_cfg);
            let have = existing_remotes.and_then(|t| t.get(&r.name));
            let new_value = toml::Value::Table(
                toml::from_str::<toml::Table>(&toml::to_string(&shared_cfg).unwrap_or_default())
                    .unwrap_or_default(),
            );
            match have {
                Some(h) if *h == new_value || shared_cfg == RemoteConfig::default() => {}
                Some(_) => {
                    self.report
                        .problem(&place, "mlx.toml already has a different remote of that name");
                    continue;
                }
                None if shared_cfg == RemoteConfig::default() => {}
                None => {
                    let remotes = doc.entry("remotes").or_insert_with(|| {
                        let mut t = Table::new();
                        t.set_implicit(true);
                        Item::Table(t)
                    });
                    if let Some(t) = remotes.as_table_mut() {
                        t.insert(&r.name, Item::Table(shared_table));
                    }
                }
            }
            let local_settings = local.set_remote(&r.name, &local_cfg);
            let is_default = converted.default.as_deref() == Some(r.name.as_str());
            if is_default {
                let core =
                    existing.get("core").and_then(|c| c.get("remote")).and_then(|v| v.as_str());
                match core {
                    None => {
                        let core = doc.entry("core").or_insert_with(|| Item::Table(Table::new()));
                        if let Some(t) = core.as_table_mut() {
                            t.insert("remote", toml_edit::value(r.name.as_str()));
                        }
                    }
                    Some(c) if c == r.name => {}
                    Some(c) => self.report.notes.push(Problem {
                        place: place.clone(),
                        reason: format!("DVC's default remote; mlx.toml keeps its default, {c}"),
                    }),
                }
            }
            self.report.remotes.push(ImportedRemote {
                name: r.name.clone(),
                url: url::redact(&u),
                default: is_default,
                local_settings,
            });
        }
        Ok(())
    }
}

/// Comments below the last table of `mlx.toml` (`mlx init` leaves commented-out settings under
/// `[core]`) are the file's trailing text to TOML: tables added after that table would come
/// between it and them. They move under its header instead.
fn keep_trailing_comments(doc: &mut DocumentMut) {
    let trailing = doc.trailing().as_str().unwrap_or_default().trim_end().to_owned();
    let only_comments =
        trailing.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if trailing.trim().is_empty() || !only_comments {
        return;
    }
    let last = doc
        .as_table()
        .iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v.as_table()?.position()?)))
        .max_by_key(|(_, p)| *p);
    let Some(table) = last.and_then(|(k, _)| doc.get_mut(&k)?.as_table_mut()) else { return };
    let has_suffix =
        table.decor().suffix().and_then(|s| s.as_str()).is_some_and(|s| !s.trim().is_empty());
    if has_suffix {
        return;
    }
    table.decor_mut().set_suffix(format!("\n{}", trailing.trim_start_matches('\n')));
    doc.set_trailing("");
}

fn remote_table(cfg: &RemoteConfig) -> Table {
    let text = toml::to_string(cfg).unwrap_or_default();
    let doc: DocumentMut = text.parse().unwrap_or_default();
    doc.as_table().clone()
}

/// `.mlx/config.local.toml`, edited in place.
struct LocalFile {
    rel: std::path::PathBuf,
    text: String,
    doc: DocumentMut,
}

impl LocalFile {
    fn load(root: &Path) -> Result<Self> {
        let rel = Path::new(MLX_DIR).join(config::LOCAL_FILE);
        let text = fs_util_read(&root.join(&rel))?.unwrap_or_default();
        let doc = text.parse().unwrap_or_default();
        Ok(LocalFile { rel, text, doc })
    }

    /// Set the keys of `cfg` in `[remotes.NAME]`; returns their names.
    fn set_remote(&mut self, name: &str, cfg: &RemoteConfig) -> Vec<String> {
        let table = remote_table(cfg);
        if table.is_empty() {
            return Vec::new();
        }
        let remotes = self.doc.entry("remotes").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        let Some(remotes) = remotes.as_table_mut() else { return Vec::new() };
        let entry = remotes.entry(name).or_insert_with(|| Item::Table(Table::new()));
        let mut keys = Vec::new();
        if let Some(t) = entry.as_table_mut() {
            for (k, v) in table.iter() {
                keys.push(k.to_owned());
                let same = t.get(k).and_then(Item::as_value).map(ToString::to_string)
                    == v.as_value().map(ToString::to_string);
                if !same {
                    t.insert(k, v.clone());
                }
            }
        }
        keys
    }

    fn save(&self, run: &mut Run<'_>) -> Result<()> {
        let text = self.doc.to_string();
        let changed = toml::from_str::<toml::Table>(&text).ok()
            != toml::from_str::<toml::Table>(&self.text).ok();
        if !changed {
            return Ok(());
        }
        if !run.dry_run {
            fs_util::write_atomic_with_mode(&run.root().join(&self.rel), text.as_bytes(), 0o600)?;
        }
        run.report.written.push(self.rel.display().to_string());
        Ok(())
    }
}
