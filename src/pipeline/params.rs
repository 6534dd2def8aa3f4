//! Parameter values from TOML, JSON and YAML files (chosen by extension), and `--set` overrides.
//!
//! Values come out as `serde_json::Value`: maps with sorted keys, so two values compare and hash
//! the same whatever file format or key order they came from. Dotted keys walk nested tables
//! (`train.lr`); a key naming a section gives the whole sub-table. Overrides produce the new text
//! of each params file; the caller writes it for a run and restores the original afterwards.
//! Reading files is the only IO here; nothing is written.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::error::Error;
use super::spec::{DEFAULT_PARAMS_FILE, ParamRef};
use crate::project_path::{ProjectPath, RelPath};
use crate::store::error::line_column;

/// The formats a params file can have, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
    Yaml,
}

impl Format {
    /// `.toml`, `.json`, `.yaml`/`.yml` (any case); `None` for anything else.
    pub fn of(file: &ProjectPath) -> Option<Format> {
        Format::of_path(file.as_path())
    }

    /// [`Format::of`] for a file name as written.
    pub fn of_name(name: &str) -> Option<Format> {
        Format::of_path(Path::new(name))
    }

    fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

fn format_of(file: &ProjectPath) -> Result<Format, Error> {
    Format::of(file).ok_or_else(|| Error::UnsupportedParamsFile { file: file.clone() })
}

/// Parse a params file's text (from the workspace, a git object, …) into a canonical value.
pub fn parse_text(file: &ProjectPath, text: &str) -> Result<Value, Error> {
    let bad = |line_column, message: String| Error::BadParamsFile {
        file: file.clone(),
        line_column,
        message,
    };
    match format_of(file)? {
        Format::Toml => {
            let table: toml::Table = toml::from_str(text).map_err(|e| {
                bad(e.span().map(|s| line_column(text, s.start)), e.message().trim().to_owned())
            })?;
            Ok(toml_to_json(&toml::Value::Table(table)))
        }
        Format::Json => serde_json::from_str(text)
            .map_err(|e| bad(Some((e.line(), e.column())), strip_position(&e.to_string()))),
        Format::Yaml => {
            check_yaml_work(text).map_err(|m| bad(None, m))?;
            let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
                bad(e.location().map(|l| (l.line(), l.column())), strip_position(&e.to_string()))
            })?;
            yaml_to_json(&value).map_err(|m| bad(None, m))
        }
    }
}

/// The most work the YAML reader may be asked for, as the number of `[` and `{` in a file times
/// its length in bytes. The reader's cost grows with the length times the depth of `[`/`{`
/// nesting, and it refuses more than 128 levels only after scanning the whole file: a few
/// hundred kilobytes of `{a: {a: …` took minutes. The depth is at most the number of brackets,
/// so this bounds the time (to about a second) whatever the file holds; only a large file with
/// many flow lists (`[1, 2]`) is refused, and the message says to use block style or JSON.
pub const MAX_YAML_WORK: usize = 1 << 30;

/// Refuse YAML that could make the reader work past [`MAX_YAML_WORK`].
fn check_yaml_work(text: &str) -> Result<(), String> {
    let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if brackets.saturating_mul(text.len()) <= MAX_YAML_WORK {
        return Ok(());
    }
    Err(format!(
        "{brackets} `[` and `{{` in {} bytes of YAML would take the reader too long; write lists \
         and mappings in block style, or use JSON",
        text.len()
    ))
}

/// serde_json and serde_yaml append " at line L column C"; the error says it already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A TOML value as canonical JSON: dates become their text, NaN and infinities their name.
pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => float_to_json(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect())
        }
    }
}

fn float_to_json(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number)
}

fn yaml_to_json(value: &serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                float_to_json(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => {
            Value::Array(items.iter().map(yaml_to_json).collect::<Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_owned(),
                    _ => {
                        return Err(
                            "a mapping key is a list or a mapping; params keys must be text".into(),
                        );
                    }
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(&tagged.value)?,
    })
}

/// The value at a dotted key (`train.lr`; a number indexes a list). A key containing dots
/// (`"a.b" = 1`) is found too; where both readings exist the shorter name is tried first.
pub fn lookup<'v>(doc: &'v Value, key: &str) -> Option<&'v Value> {
    lookup_rest(doc, key)
}

/// `rest` is one or more dot-separated names. Only names the table really has are tried, so the
/// work is bounded by the size of the document, never by the number of ways to split `rest`.
fn lookup_rest<'v>(value: &'v Value, rest: &str) -> Option<&'v Value> {
    // (name length, child) for each name that `rest` starts with, followed by a dot or the end.
    let mut candidates: Vec<(usize, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .filter(|(name, _)| {
                rest.strip_prefix(name.as_str())
                    .is_some_and(|after| after.is_empty() || after.starts_with('.'))
            })
            .map(|(name, child)| (name.len(), child))
            .collect(),
        Value::Array(items) => {
            let first = rest.split('.').next().unwrap_or(rest);
            first
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map(|child| vec![(first.len(), child)])
                .unwrap_or_default()
        }
        _ => return None,
    };
    candidates.sort_by_key(|(len, _)| *len);
    candidates.into_iter().find_map(|(len, child)| {
        if len == rest.len() { Some(child) } else { lookup_rest(child, &rest[len + 1..]) }
    })
}

// --- where params files come from ------------------------------------------------------------

/// Where params files are read from: the work tree (with `--set` edits laid over it, for a dry
/// run), a commit, or nowhere (parsing `mlx.toml` text alone).
pub trait ParamsFiles {
    /// The text of `file`, or `None` when there is no such file.
    fn text(&self, file: &ProjectPath) -> Result<Option<String>, Error>;

    /// Whether `file` exists (the default params file is the first of
    /// [`DEFAULT_PARAMS_FILES`] that does).
    fn exists(&self, file: &ProjectPath) -> Result<bool, Error> {
        Ok(self.text(file)?.is_some())
    }
}

/// No files at all: `${…}` can name only `foreach` values and inline `vars`.
pub struct NoFiles;

impl ParamsFiles for NoFiles {
    fn text(&self, _: &ProjectPath) -> Result<Option<String>, Error> {
        Ok(None)
    }
}

/// Files read through a function (a commit's tree, …).
pub struct FnFiles<F>(pub F);

impl<F: Fn(&ProjectPath) -> Result<Option<String>, Error>> ParamsFiles for FnFiles<F> {
    fn text(&self, file: &ProjectPath) -> Result<Option<String>, Error> {
        (self.0)(file)
    }
}

/// The files of the work tree at `root`, with some files' texts replaced (the `--set` edits a
/// run would write, so a dry run plans with them without writing anything).
pub struct WorkTreeFiles<'a> {
    root: &'a Path,
    overlay: BTreeMap<ProjectPath, String>,
}

impl<'a> WorkTreeFiles<'a> {
    pub fn new(root: &'a Path) -> Self {
        WorkTreeFiles { root, overlay: BTreeMap::new() }
    }

    /// The work tree as it would be with `edits` written.
    pub fn with_edits(root: &'a Path, edits: &[ParamsEdit]) -> Self {
        let overlay = edits.iter().map(|e| (e.file.clone(), e.text.clone())).collect();
        WorkTreeFiles { root, overlay }
    }
}

impl ParamsFiles for WorkTreeFiles<'_> {
    fn text(&self, file: &ProjectPath) -> Result<Option<String>, Error> {
        if let Some(text) = self.overlay.get(file) {
            return Ok(Some(text.clone()));
        }
        let path = self.root.join(file.as_path());
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) if path.is_dir() => Ok(None),
            Err(_) => Ok(Some(fs_err::read_to_string(&path)?)),
        }
    }

    fn exists(&self, file: &ProjectPath) -> Result<bool, Error> {
        Ok(self.overlay.contains_key(file) || self.root.join(file.as_path()).is_file())
    }
}

/// The names a folder's default params file may have, in the order they are looked for: the
/// first that exists is the default, and `params.toml` when none does.
pub const DEFAULT_PARAMS_FILES: [&str; 3] = ["params.toml", "params.yaml", "params.json"];

/// The default params file of folder `dir` (the project root for `None`): the first of
/// [`DEFAULT_PARAMS_FILES`] there that exists, else `params.toml`.
pub fn default_file(
    dir: Option<&ProjectPath>,
    files: &dyn ParamsFiles,
) -> Result<ProjectPath, Error> {
    let in_dir = |name: &str| {
        let path = match dir {
            Some(d) => d.as_path().join(name),
            None => std::path::PathBuf::from(name),
        };
        RelPath::new(path).expect("a folder of the project joined with a plain file name")
    };
    for name in DEFAULT_PARAMS_FILES {
        let file = in_dir(name);
        if files.exists(&file)? {
            return Ok(file);
        }
    }
    Ok(in_dir(DEFAULT_PARAMS_FILES[0]))
}

/// Read and parse one params file.
pub fn read_doc(files: &dyn ParamsFiles, file: &ProjectPath) -> Result<Value, Error> {
    format_of(file)?;
    match files.text(file)? {
        Some(text) => parse_text(file, &text),
        None => Err(Error::MissingParamsFile { file: file.clone() }),
    }
}

/// Read and parse a params file under `root`.
pub fn read_file(root: &Path, file: &ProjectPath) -> Result<Value, Error> {
    read_doc(&WorkTreeFiles::new(root), file)
}

/// The value of one parameter.
pub fn read_value(files: &dyn ParamsFiles, param: &ParamRef) -> Result<Value, Error> {
    let doc = read_doc(files, &param.file)?;
    value_in(&doc, param)
}

/// The values of several parameters, reading each file once.
pub fn read_values(
    files: &dyn ParamsFiles,
    params: &[ParamRef],
) -> Result<BTreeMap<ParamRef, Value>, Error> {
    let mut docs: BTreeMap<&ProjectPath, Value> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for param in params {
        if !docs.contains_key(&param.file) {
            docs.insert(&param.file, read_doc(files, &param.file)?);
        }
        let value = value_in(&docs[&param.file], param)?;
        out.insert(param.clone(), value);
    }
    Ok(out)
}

/// `param`'s value inside its already parsed file.
pub fn value_in(doc: &Value, param: &ParamRef) -> Result<Value, Error> {
    lookup(doc, &param.key)
        .cloned()
        .ok_or_else(|| Error::MissingParam { file: param.file.clone(), key: param.key.clone() })
}

// --- overrides ---------------------------------------------------------------------------------

/// The most dotted parts a `--set` key may have: every part may add a level of nesting to the
/// file, and the readers refuse files nested more than 128 levels deep.
pub const MAX_KEY_PARTS: usize = 32;

/// One `--set [FILE:]KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The file the argument named (`FILE:`); without one, `params.toml` until
    /// [`resolve_overrides`] finds the file that defines the key.
    pub file: ProjectPath,
    /// Whether the argument named the file.
    pub named: bool,
    /// Dotted key.
    pub key: String,
    /// The value as written after `=`.
    pub raw: String,
}

impl Override {
    /// Parse `train.lr=0.1` or `other.yaml:train.lr=0.1`.
    pub fn parse(arg: &str) -> Result<Override, Error> {
        let bad =
            |reason: &str| Error::BadOverrideSyntax { arg: arg.to_owned(), reason: reason.into() };
        let (target, raw) = arg.split_once('=').ok_or_else(|| bad("expected KEY=VALUE"))?;
        let named = target.contains(':');
        let (file, key) = target.rsplit_once(':').unwrap_or((DEFAULT_PARAMS_FILE, target));
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(bad("the key must be dotted names like train.lr"));
        }
        if key.split('.').count() > MAX_KEY_PARTS {
            return Err(bad(&format!("the key has more than {MAX_KEY_PARTS} dotted parts")));
        }
        let file = RelPath::new(file.trim()).map_err(|e| bad(&format!("params file: {e}")))?;
        if Format::of(&file).is_none() {
            return Err(bad("params files must end in .toml, .json, .yaml or .yml"));
        }
        Ok(Override { file, named, key: key.to_owned(), raw: raw.to_owned() })
    }

    /// The value: a TOML literal when `raw` is one (`0.1`, `true`, `"text"`, `[1, 2]`), else
    /// the text itself as a string.
    pub fn value(&self) -> toml::Value {
        let raw = self.raw.trim();
        match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
            Ok(mut t) if !raw.is_empty() && t.len() == 1 => {
                t.remove("v").unwrap_or_else(|| toml::Value::String(self.raw.clone()))
            }
            _ => toml::Value::String(self.raw.clone()),
        }
    }

    /// The value as canonical JSON (what reading the rewritten file gives).
    pub fn json_value(&self) -> Value {
        toml_to_json(&self.value())
    }

    /// How the parameter is named in records: `key` for `params.toml`, `file:key` otherwise.
    pub fn display_name(&self) -> String {
        ParamRef { file: self.file.clone(), key: self.key.clone() }.display_name()
    }
}

/// Give each override that names no file the params file that defines its key, among
/// `candidates` (the params files a pipeline reads, see `Pipeline::params_files`): the file
/// that defines the longest leading part of the key (`train.lr`, else `train`). A key that no
/// file defines, or that two files define alike, is an error naming the files.
pub fn resolve_overrides(
    overrides: &mut [Override],
    candidates: &[ProjectPath],
    files: &dyn ParamsFiles,
) -> Result<(), Error> {
    if overrides.iter().all(|o| o.named) {
        return Ok(());
    }
    let mut docs: Vec<(&ProjectPath, Value)> = Vec::new();
    for file in candidates {
        if let Some(text) = files.text(file)? {
            docs.push((file, parse_text(file, &text)?));
        }
    }
    for o in overrides.iter_mut().filter(|o| !o.named) {
        let parts: Vec<&str> = o.key.split('.').collect();
        let mut found: Vec<&ProjectPath> = Vec::new();
        let mut defined = String::new();
        for n in (1..=parts.len()).rev() {
            let prefix = parts[..n].join(".");
            found = docs
                .iter()
                .filter(|(_, doc)| lookup(doc, &prefix).is_some())
                .map(|(file, _)| *file)
                .collect();
            if !found.is_empty() {
                defined = prefix;
                break;
            }
        }
        match found.as_slice() {
            [one] => {
                o.file = (*one).clone();
                o.named = true;
            }
            [] => {
                return Err(Error::UnknownOverrideKey {
                    key: o.key.clone(),
                    searched: candidates.to_vec(),
                });
            }
            several => {
                return Err(Error::AmbiguousOverrideKey {
                    key: o.key.clone(),
                    defined,
                    files: several.iter().map(|f| (*f).clone()).collect(),
                });
            }
        }
    }
    Ok(())
}

/// The new text of one params file with overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamsEdit {
    pub file: ProjectPath,
    /// The text before; `None` when the file did not exist (remove it afterwards).
    pub original: Option<String>,
    pub text: String,
}

/// Apply overrides to the params files under `root`: one edit per file, in file order. A key
/// that does not exist (or a missing file) is an error unless `allow_new`.
pub fn apply_overrides(
    root: &Path,
    overrides: &[Override],
    allow_new: bool,
) -> Result<Vec<ParamsEdit>, Error> {
    let mut by_file: BTreeMap<&ProjectPath, Vec<&Override>> = BTreeMap::new();
    for o in overrides {
        by_file.entry(&o.file).or_default().push(o);
    }
    let mut edits = Vec::with_capacity(by_file.len());
    for (file, list) in by_file {
        let path = root.join(file.as_path());
        let original = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !allow_new {
                    return Err(Error::MissingParamsFile { file: file.clone() });
                }
                None
            }
            Err(_) => Some(fs_err::read_to_string(&path)?),
        };
        let text = override_text(file, original.as_deref().unwrap_or(""), &list, allow_new)?;
        edits.push(ParamsEdit { file: file.clone(), original, text });
    }
    Ok(edits)
}

/// `text` (a params file named `file`) with `overrides` applied. TOML keeps its formatting and
/// comments; JSON is rewritten pretty-printed with sorted keys; YAML keeps its key order but
/// not its comments.
pub fn override_text(
    file: &ProjectPath,
    text: &str,
    overrides: &[&Override],
    allow_new: bool,
) -> Result<String, Error> {
    let format = format_of(file)?;
    // Parse first with the reader, so errors look the same as when reading params.
    if !text.trim().is_empty() || format == Format::Json {
        parse_text(file, if text.trim().is_empty() { "{}" } else { text })?;
    }
    match format {
        Format::Toml => {
            let mut doc: toml_edit::DocumentMut =
                text.parse().map_err(|e: toml_edit::TomlError| Error::BadParamsFile {
                    file: file.clone(),
                    line_column: e.span().map(|s| line_column(text, s.start)),
                    message: e.message().trim().to_owned(),
                })?;
            for o in overrides {
                let parts: Vec<&str> = o.key.split('.').collect();
                set_toml(doc.as_item_mut(), &parts, toml_edit_value(&o.value()), allow_new)
                    .map_err(|reason| bad_override(o, reason))?;
            }
            reads_back(file, doc.to_string(), overrides)
        }
        Format::Json => {
            let mut value: Value = if text.trim().is_empty() {
                Value::Object(Default::default())
            } else {
                parse_text(file, text)?
            };
            for o in overrides {
                let parts: Vec<&str> = o.key.split('.').collect();
                set_json(&mut value, &parts, o.json_value(), allow_new)
                    .map_err(|reason| bad_override(o, reason))?;
            }
            let mut out = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
            out.push('\n');
            reads_back(file, out, overrides)
        }
        Format::Yaml => {
            let mut value: serde_yaml_ng::Value = if text.trim().is_empty() {
                serde_yaml_ng::Value::Mapping(Default::default())
            } else {
                serde_yaml_ng::from_str(text).map_err(|e| Error::BadParamsFile {
                    file: file.clone(),
                    line_column: e.location().map(|l| (l.line(), l.column())),
                    message: strip_position(&e.to_string()),
                })?
            };
            for o in overrides {
                let parts: Vec<&str> = o.key.split('.').collect();
                let new = serde_yaml_ng::to_value(o.json_value()).map_err(std::io::Error::other)?;
                set_yaml(&mut value, &parts, new, allow_new)
                    .map_err(|reason| bad_override(o, reason))?;
            }
            let text = serde_yaml_ng::to_string(&value).map_err(std::io::Error::other)?;
            reads_back(file, text, overrides)
        }
    }
}

/// What `--set` wrote must read back: else the overrides are refused, naming the first.
fn reads_back(file: &ProjectPath, text: String, overrides: &[&Override]) -> Result<String, Error> {
    match parse_text(file, &text) {
        Ok(_) => Ok(text),
        Err(e) => Err(Error::BadOverride {
            file: file.clone(),
            key: overrides.first().map_or_else(String::new, |o| o.key.clone()),
            reason: format!("the file would no longer read: {e}"),
        }),
    }
}

fn bad_override(o: &Override, reason: String) -> Error {
    if reason.is_empty() {
        Error::MissingParam { file: o.file.clone(), key: o.key.clone() }
    } else {
        Error::BadOverride { file: o.file.clone(), key: o.key.clone(), reason }
    }
}

/// A `toml::Value` as a `toml_edit::Value` (formatted the default way).
fn toml_edit_value(value: &toml::Value) -> toml_edit::Value {
    match value {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => {
            d.to_string().parse::<toml_edit::Value>().unwrap_or_else(|_| d.to_string().into())
        }
        toml::Value::Array(items) => {
            toml_edit::Value::Array(items.iter().map(toml_edit_value).collect())
        }
        toml::Value::Table(t) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in t {
                inline.insert(k, toml_edit_value(v));
            }
            toml_edit::Value::InlineTable(inline)
        }
    }
}

/// The message for a key that is not there: empty means "missing key" (see `bad_override`).
const MISSING: String = String::new();

fn set_toml(
    item: &mut toml_edit::Item,
    parts: &[&str],
    value: toml_edit::Value,
    allow_new: bool,
) -> Result<(), String> {
    let (first, rest) = parts.split_first().expect("keys have at least one part");
    let inline_parent = item.is_inline_table();
    let table =
        item.as_table_like_mut().ok_or_else(|| format!("{first}'s parent is not a table"))?;
    if rest.is_empty() {
        match table.get_mut(first) {
            Some(toml_edit::Item::Value(old)) if !old.is_inline_table() => {
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
                Ok(())
            }
            Some(_) => Err(format!("{first} is a table; set one of its keys instead")),
            None if allow_new => {
                table.insert(first, toml_edit::Item::Value(value));
                Ok(())
            }
            None => Err(MISSING),
        }
    } else {
        if table.get(first).is_none() {
            if !allow_new {
                return Err(MISSING);
            }
            let child = if inline_parent {
                toml_edit::Item::Value(toml_edit::Value::InlineTable(toml_edit::InlineTable::new()))
            } else {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            };
            table.insert(first, child);
        }
        let child = table.get_mut(first).expect("present or just inserted");
        if !child.is_table_like() {
            return Err(format!("{first} is not a table"));
        }
        set_toml(child, rest, value, allow_new)
    }
}

fn set_json(
    target: &mut Value,
    parts: &[&str],
    value: Value,
    allow_new: bool,
) -> Result<(), String> {
    let (first, rest) = parts.split_first().expect("keys have at least one part");
    let Value::Object(map) = target else { return Err(format!("{first}'s parent is not a table")) };
    if rest.is_empty() {
        match map.get_mut(*first) {
            Some(Value::Object(_)) => {
                Err(format!("{first} is a table; set one of its keys instead"))
            }
            Some(old) => {
                *old = value;
                Ok(())
            }
            None if allow_new => {
                map.insert((*first).to_owned(), value);
                Ok(())
            }
            None => Err(MISSING),
        }
    } else {
        if !map.contains_key(*first) {
            if !allow_new {
                return Err(MISSING);
            }
            map.insert((*first).to_owned(), Value::Object(Default::default()));
        }
        let child = map.get_mut(*first).expect("present or just inserted");
        if !child.is_object() {
            return Err(format!("{first} is not a table"));
        }
        set_json(child, rest, value, allow_new)
    }
}

fn set_yaml(
    target: &mut serde_yaml_ng::Value,
    parts: &[&str],
    value: serde_yaml_ng::Value,
    allow_new: bool,
) -> Result<(), String> {
    use serde_yaml_ng::Value as Y;
    let (first, rest) = parts.split_first().expect("keys have at least one part");
    let Y::Mapping(map) = target else { return Err(format!("{first}'s parent is not a table")) };
    let key = Y::String((*first).to_owned());
    if rest.is_empty() {
        match map.get_mut(&key) {
            Some(Y::Mapping(_)) => Err(format!("{first} is a table; set one of its keys instead")),
            Some(old) => {
                *old = value;
                Ok(())
            }
            None if allow_new => {
                map.insert(key, value);
                Ok(())
            }
            None => Err(MISSING),
        }
    } else {
        if !map.contains_key(&key) {
            if !allow_new {
                return Err(MISSING);
            }
            map.insert(key.clone(), Y::Mapping(Default::default()));
        }
        let child = map.get_mut(&key).expect("present or just inserted");
        if !child.is_mapping() {
            return Err(format!("{first} is not a table"));
        }
        set_yaml(child, rest, value, allow_new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn f(name: &str) -> ProjectPath {
        RelPath::new(name).unwrap()
    }

    const TOML: &str = "# params\n[train]\nlr = 0.01 # learning rate\nepochs = 10\nlayers = [64, 32]\n\n[prepare]\nseed = 42\nsplit = 0.2\n";

    #[test]
    fn reads_the_same_values_from_every_format() {
        let toml = parse_text(&f("params.toml"), TOML).unwrap();
        let json = parse_text(
            &f("p.json"),
            r#"{"prepare": {"split": 0.2, "seed": 42}, "train": {"epochs": 10, "lr": 0.01, "layers": [64, 32]}}"#,
        )
        .unwrap();
        let yaml = parse_text(
            &f("p.yaml"),
            "train:\n  lr: 0.01\n  epochs: 10\n  layers: [64, 32]\nprepare:\n  seed: 42\n  split: 0.2\n",
        )
        .unwrap();
        assert_eq!(toml, json);
        assert_eq!(toml, yaml);
        assert_eq!(lookup(&toml, "train.lr"), Some(&json!(0.01)));
        assert_eq!(lookup(&toml, "train.layers.1"), Some(&json!(32)));
        assert_eq!(lookup(&toml, "prepare"), Some(&json!({"seed": 42, "split": 0.2})));
        assert_eq!(lookup(&toml, "train.nope"), None);
        // Canonical: the same text whatever the key order was.
        assert_eq!(toml.to_string(), json.to_string());
    }

    #[test]
    fn dotted_names_inside_a_file_are_found() {
        let doc = parse_text(&f("p.json"), r#"{"model": {"a.b": {"c": 1}}}"#).unwrap();
        assert_eq!(lookup(&doc, "model.a.b.c"), Some(&json!(1)));
    }

    #[test]
    fn toml_dates_and_odd_floats_become_text() {
        let doc = parse_text(&f("p.toml"), "d = 2024-01-02\nx = nan\n").unwrap();
        assert_eq!(doc, json!({"d": "2024-01-02", "x": "NaN"}));
    }

    #[test]
    fn parse_errors_carry_line_and_column() {
        let err = parse_text(&f("params.toml"), "[train]\nlr = = 1\n").unwrap_err();
        assert!(err.to_string().starts_with("params.toml:2:"), "{err}");
        let err = parse_text(&f("p.json"), "{\n  \"a\": 1,\n  oops\n}").unwrap_err();
        assert!(err.to_string().starts_with("p.json:3:3: "), "{err}");
        let err = parse_text(&f("p.yaml"), "a: 1\nb: [1, 2\n").unwrap_err();
        assert!(matches!(err, Error::BadParamsFile { line_column: Some(_), .. }), "{err}");
        assert!(err.to_string().starts_with("p.yaml:"), "{err}");
        let err = parse_text(&f("p.ini"), "").unwrap_err();
        assert!(matches!(err, Error::UnsupportedParamsFile { .. }));
    }

    #[test]
    fn reading_from_disk_names_missing_files_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("params.toml"), TOML).unwrap();
        let files = WorkTreeFiles::new(dir.path());
        let param = |file: &str, key: &str| ParamRef { file: f(file), key: key.into() };
        assert_eq!(read_value(&files, &param("params.toml", "train.epochs")).unwrap(), json!(10));
        let err = read_value(&files, &param("params.toml", "train.momentum")).unwrap_err();
        assert_eq!(err.to_string(), "params file params.toml has no key train.momentum");
        let err = read_value(&files, &param("other.yaml", "a")).unwrap_err();
        assert_eq!(err.to_string(), "params file other.yaml does not exist");
        let all = read_values(
            &files,
            &[param("params.toml", "train.lr"), param("params.toml", "prepare.seed")],
        )
        .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[&param("params.toml", "prepare.seed")], json!(42));
    }

    #[test]
    fn the_default_params_file_is_the_first_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        let files = WorkTreeFiles::new(dir.path());
        let sub = f("sub");
        assert_eq!(default_file(None, &files).unwrap(), f("params.toml"), "none exists");
        std::fs::write(dir.path().join("params.json"), "{}").unwrap();
        assert_eq!(default_file(None, &files).unwrap(), f("params.json"));
        std::fs::write(dir.path().join("params.yaml"), "a: 1\n").unwrap();
        assert_eq!(default_file(None, &files).unwrap(), f("params.yaml"));
        std::fs::write(dir.path().join("params.toml"), "").unwrap();
        assert_eq!(default_file(None, &files).unwrap(), f("params.toml"));
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("sub/params.toml")).unwrap();
        std::fs::write(dir.path().join("sub/params.yaml"), "a: 1\n").unwrap();
        assert_eq!(default_file(Some(&sub), &files).unwrap(), f("sub/params.yaml"), "not a folder");
        assert_eq!(default_file(None, &NoFiles).unwrap(), f("params.toml"));
    }

    #[test]
    fn edits_laid_over_the_work_tree_read_as_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("params.toml"), TOML).unwrap();
        let o = [Override::parse("train.lr=0.2").unwrap()];
        let edits = apply_overrides(dir.path(), &o, false).unwrap();
        let files = WorkTreeFiles::with_edits(dir.path(), &edits);
        let lr = ParamRef { file: f("params.toml"), key: "train.lr".into() };
        assert_eq!(read_value(&files, &lr).unwrap(), json!(0.2));
        assert_eq!(read_value(&WorkTreeFiles::new(dir.path()), &lr).unwrap(), json!(0.01));
        assert_eq!(std::fs::read_to_string(dir.path().join("params.toml")).unwrap(), TOML);
    }

    #[test]
    fn overrides_without_a_file_find_the_file_that_defines_the_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("params.yaml"), "train:\n  lr: 0.1\nmodel: rf\n").unwrap();
        std::fs::write(dir.path().join("other.json"), r#"{"train": {"epochs": 3}, "seed": 1}"#)
            .unwrap();
        let files = WorkTreeFiles::new(dir.path());
        let candidates = [f("missing.toml"), f("other.json"), f("params.yaml")];
        let resolve = |arg: &str| {
            let mut o = [Override::parse(arg).unwrap()];
            resolve_overrides(&mut o, &candidates, &files).map(|()| o[0].file.to_string())
        };
        assert_eq!(resolve("train.lr=0.5").unwrap(), "params.yaml");
        assert_eq!(resolve("train.epochs=5").unwrap(), "other.json");
        assert_eq!(resolve("seed=2").unwrap(), "other.json");
        assert_eq!(resolve("other.json:model=x").unwrap(), "other.json", "a named file stays");
        // Only a leading part defined: the file that defines it (which then lacks the key).
        assert_eq!(resolve("model.depth=3").unwrap(), "params.yaml");
        let err = resolve("train.momentum=0.9").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--set train.momentum: train is defined in other.json and params.yaml"
        );
        let err = resolve("nope=1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--set nope: no params file defines nope (searched missing.toml, other.json and params.yaml)"
        );
        assert!(matches!(err, Error::UnknownOverrideKey { .. }));
    }

    /// Deeply nested files are refused with a message, never a stack overflow.
    #[test]
    fn deep_nesting_is_an_error() {
        let n = 100_000;
        for (file, text) in [
            ("p.json", format!("{}{}", "[".repeat(n), "]".repeat(n))),
            ("p.json", format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))),
            ("p.yaml", format!("{}{}", "[".repeat(n), "]".repeat(n))),
            ("p.yaml", format!("{}1", "- ".repeat(n))),
            ("p.toml", format!("a = {}{}", "[".repeat(n), "]".repeat(n))),
            ("p.toml", format!("a = {}1{}", "{b = ".repeat(n), "}".repeat(n))),
            ("p.toml", format!("[{}]\n", vec!["a"; n].join("."))),
        ] {
            let err = parse_text(&f(file), &text).unwrap_err();
            assert!(matches!(err, Error::BadParamsFile { .. }), "{file}: {err}");
        }
    }

    /// Deep flow nesting in YAML took minutes to refuse (the reader's cost grows with the length
    /// times the depth); such files are refused before reading, and ordinary ones are not.
    #[test]
    fn yaml_that_would_read_too_slowly_is_refused_quickly() {
        let start = std::time::Instant::now();
        let n = 40_000;
        for text in [
            format!("{}1{}", "{a: ".repeat(n), "}".repeat(n)),
            format!("{}1{}", "{a: \"}\", b: ".repeat(n), "}".repeat(n)),
            format!("{}1{}", "[x, 'it''s ]', ".repeat(n), "]".repeat(n)),
        ] {
            let err = parse_text(&f("p.yaml"), &text).unwrap_err();
            assert!(err.to_string().contains("would take the reader too long"), "{err}");
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
        // Brackets in text, flow lists in a file of ordinary size: read as usual.
        let tokens = format!("tokens: [{}]\n", vec!["'[CLS]'"; 2000].join(", "));
        assert_eq!(parse_text(&f("p.yaml"), &tokens).unwrap()["tokens"][1999], json!("[CLS]"));
        let wide = format!("a: [{}]\n", vec!["[1, {x: 2}]"; 2000].join(", "));
        assert_eq!(
            lookup(&parse_text(&f("p.yaml"), &wide).unwrap(), "a.1999.1.x"),
            Some(&json!(2))
        );
    }

    /// Found by fuzzing: `--set` of a text full of `[` wrote a YAML file that mlx then refused
    /// to read. What an override would make unreadable is refused instead.
    #[test]
    fn overrides_never_write_a_file_that_does_not_read_back() {
        let value = "[".repeat(40_000);
        let o = Override::parse(&format!("p.yaml:a='{value}'")).unwrap();
        let err = override_text(&f("p.yaml"), "a: 1\nb: [1, 2]\n", &[&o], false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("params file p.yaml: cannot set a: the file would no longer read: "),
            "{err}"
        );
        let o = Override::parse("p.yaml:a='[[['").unwrap();
        let text = override_text(&f("p.yaml"), "a: 1\n", &[&o], false).unwrap();
        assert_eq!(parse_text(&f("p.yaml"), &text).unwrap(), json!({"a": "[[["}));
    }

    /// A few lines of YAML aliases would expand to billions of values.
    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in
            ["a", "b", "c", "d", "e", "f", "g", "h", "i"].windows(2).map(|w| (w[0], w[1]))
        {
            text.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        let err = parse_text(&f("p.yaml"), &text).unwrap_err();
        assert!(err.to_string().contains("repetition limit"), "{err}");
    }

    /// Looking up a key of many parts takes time in proportion to the document, not to the
    /// number of ways to split the key.
    #[test]
    fn lookups_of_long_keys_are_fast() {
        let doc =
            parse_text(&f("p.json"), r#"{"a": {"a": {"a.a": 1}}, "a.a": {"a": [0, {"a": 2}]}}"#)
                .unwrap();
        assert_eq!(lookup(&doc, "a.a.a.a"), Some(&json!(1)), "shorter names first");
        assert_eq!(lookup(&doc, "a.a.a.1.a"), Some(&json!(2)));
        let key = vec!["a"; 200_000].join(".");
        let start = std::time::Instant::now();
        assert_eq!(lookup(&doc, &key), None);
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
    }

    #[test]
    fn overrides_parse_file_key_and_value() {
        let o = Override::parse("train.lr=0.1").unwrap();
        assert_eq!((o.file.to_string(), o.key.as_str()), ("params.toml".into(), "train.lr"));
        assert_eq!(o.json_value(), json!(0.1));
        let o = Override::parse("conf/other.yaml:model=gbm").unwrap();
        assert_eq!(o.file.to_string(), "conf/other.yaml");
        assert_eq!(o.json_value(), json!("gbm"));
        assert_eq!(o.display_name(), "conf/other.yaml:model");
        assert_eq!(Override::parse("a=true").unwrap().json_value(), json!(true));
        assert_eq!(Override::parse("a=\"1\"").unwrap().json_value(), json!("1"));
        assert_eq!(Override::parse("a=[1, 2]").unwrap().json_value(), json!([1, 2]));
        assert_eq!(Override::parse("a=").unwrap().json_value(), json!(""));
        assert_eq!(Override::parse("a=x=y").unwrap().json_value(), json!("x=y"));
        assert!(Override::parse("novalue").is_err());
        assert!(Override::parse("a..b=1").is_err());
        assert!(Override::parse("../p.toml:a=1").is_err());
        assert!(Override::parse("p.txt:a=1").is_err());
        // Found by fuzzing: a key of 200 parts wrote a file the reader refuses (and 100,000
        // parts overflowed the stack).
        let deep = format!("{}=1", vec!["a"; 100_000].join("."));
        let err = Override::parse(&deep).unwrap_err();
        assert!(err.to_string().contains("more than 32 dotted parts"), "{err}");
        let o = Override::parse(&format!("{}=1", vec!["a"; MAX_KEY_PARTS].join("."))).unwrap();
        let text = override_text(&f("p.toml"), "", &[&o], true).unwrap();
        assert_eq!(lookup(&parse_text(&f("p.toml"), &text).unwrap(), &o.key), Some(&json!(1)));
    }

    #[test]
    fn toml_overrides_keep_formatting_and_comments() {
        let o =
            [Override::parse("train.lr=0.1").unwrap(), Override::parse("prepare.seed=7").unwrap()];
        let refs: Vec<&Override> = o.iter().collect();
        let text = override_text(&f("params.toml"), TOML, &refs, false).unwrap();
        assert_eq!(
            text,
            "# params\n[train]\nlr = 0.1 # learning rate\nepochs = 10\nlayers = [64, 32]\n\n[prepare]\nseed = 7\nsplit = 0.2\n"
        );
    }

    #[test]
    fn missing_keys_are_errors_unless_adding_is_allowed() {
        let o = Override::parse("train.momentum=0.9").unwrap();
        let err = override_text(&f("params.toml"), TOML, &[&o], false).unwrap_err();
        assert_eq!(err.to_string(), "params file params.toml has no key train.momentum");
        let text = override_text(&f("params.toml"), TOML, &[&o], true).unwrap();
        assert_eq!(
            lookup(&parse_text(&f("params.toml"), &text).unwrap(), "train.momentum"),
            Some(&json!(0.9))
        );
        let o = Override::parse("new.deep.key=1").unwrap();
        let text = override_text(&f("params.toml"), TOML, &[&o], true).unwrap();
        assert!(text.starts_with(TOML), "{text}");
        assert_eq!(
            lookup(&parse_text(&f("params.toml"), &text).unwrap(), "new.deep.key"),
            Some(&json!(1))
        );
        let o = Override::parse("train.lr.x=1").unwrap();
        let err = override_text(&f("params.toml"), TOML, &[&o], true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "params file params.toml: cannot set train.lr.x: lr is not a table"
        );
        let o = Override::parse("train=1").unwrap();
        assert!(matches!(
            override_text(&f("params.toml"), TOML, &[&o], true),
            Err(Error::BadOverride { .. })
        ));
    }

    #[test]
    fn inline_tables_are_edited_in_place() {
        let text = "model = { depth = 5, name = \"rf\" }\n";
        let o = Override::parse("model.depth=7").unwrap();
        assert_eq!(
            override_text(&f("p.toml"), text, &[&o], false).unwrap(),
            "model = { depth = 7, name = \"rf\" }\n"
        );
    }

    #[test]
    fn json_and_yaml_overrides() {
        let o = Override::parse("p.json:train.lr=0.5").unwrap();
        let text =
            override_text(&f("p.json"), r#"{"train": {"lr": 0.1, "epochs": 3}}"#, &[&o], false)
                .unwrap();
        assert_eq!(
            parse_text(&f("p.json"), &text).unwrap(),
            json!({"train": {"lr": 0.5, "epochs": 3}})
        );
        let o = Override::parse("p.yaml:train.model=gbm").unwrap();
        let text =
            override_text(&f("p.yaml"), "train:\n  model: rf\n  depth: 3\n", &[&o], false).unwrap();
        assert_eq!(text, "train:\n  model: gbm\n  depth: 3\n");
        let err = override_text(&f("p.yaml"), "train: {}\n", &[&o], false).unwrap_err();
        assert!(matches!(err, Error::MissingParam { .. }));
    }

    #[test]
    fn overrides_on_disk_group_by_file_and_keep_the_original() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("params.toml"), TOML).unwrap();
        let o = [
            Override::parse("train.lr=0.2").unwrap(),
            Override::parse("extra.json:a=1").unwrap(),
            Override::parse("train.epochs=3").unwrap(),
        ];
        let err = apply_overrides(dir.path(), &o, false).unwrap_err();
        assert_eq!(err.to_string(), "params file extra.json does not exist");
        let edits = apply_overrides(dir.path(), &o, true).unwrap();
        assert_eq!(edits.len(), 2);
        assert_eq!(edits[0].file.to_string(), "extra.json");
        assert_eq!(edits[0].original, None);
        assert_eq!(edits[0].text, "{\n  \"a\": 1\n}\n");
        assert_eq!(edits[1].original.as_deref(), Some(TOML));
        assert!(edits[1].text.contains("lr = 0.2 # learning rate\nepochs = 3\n"));
    }
}
