//! `toml_edit` helpers that keep the user's layout when mlx edits a config file: comments around
//! a changed value, comments at the end of a file, and comments above a removed table stay with
//! what they describe.

use toml_edit::{DocumentMut, Item, Table, TableLike};

/// Set `key`, keeping the comments around an existing value. True if the value changed.
pub(super) fn set_value(table: &mut dyn TableLike, key: &str, value: toml_edit::Value) -> bool {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            let mut bare = old.clone();
            bare.decor_mut().clear();
            if bare.to_string() == value.to_string() {
                return false;
            }
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        None => {
            table.insert(key, Item::Value(value));
        }
    }
    true
}

/// Comments at the very end of a file belong to the table above them. When a new table becomes
/// the last one written, put them back above its header instead of under it.
pub(super) fn adopt_trailing(doc: &mut DocumentMut, path: &[&str]) {
    let trailing = doc.trailing().as_str().unwrap_or("").to_owned();
    let last = header_order(doc).pop();
    if trailing.trim().is_empty() || last.is_none_or(|last| last != path) {
        return;
    }
    let path: Vec<String> = path.iter().map(|k| (*k).to_owned()).collect();
    if let Some(table) = table_at(doc, &path) {
        table.decor_mut().set_prefix(format!("{}\n\n", trailing.trim_end()));
        doc.set_trailing("");
    }
}

/// The lines of a header's prefix up to its last blank line: comments about the table above.
pub(super) fn comments_of_the_table_above(prefix: &str) -> String {
    let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    let Some(blank) = lines.iter().rposition(|l| l.trim().is_empty()) else {
        return String::new();
    };
    let above = lines[..=blank].concat();
    if above.trim().is_empty() { String::new() } else { above }
}

pub(super) fn table_at<'a>(doc: &'a mut DocumentMut, path: &[String]) -> Option<&'a mut Table> {
    let mut item = doc.as_item_mut();
    for key in path {
        item = item.get_mut(key)?;
    }
    item.as_table_mut()
}

/// The paths of the tables toml_edit writes with a header, in the order it writes them (the
/// order of its `Display`: document position, new tables after the one before them).
pub(super) fn header_order(doc: &DocumentMut) -> Vec<Vec<String>> {
    fn visit(
        table: &Table,
        path: &mut Vec<String>,
        last: &mut isize,
        out: &mut Vec<(isize, Vec<String>)>,
    ) {
        if !table.is_dotted() {
            if let Some(pos) = table.position() {
                *last = pos;
            }
            let visible = !(table.is_implicit() && table.get_values().is_empty());
            if !path.is_empty() && visible {
                out.push((*last, path.clone()));
            }
        }
        for (key, item) in table {
            let tables: Vec<&Table> = match item {
                Item::Table(t) => vec![t],
                Item::ArrayOfTables(a) => a.iter().collect(),
                _ => continue,
            };
            for t in tables {
                path.push(key.to_owned());
                visit(t, path, last, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    visit(doc.as_table(), &mut Vec::new(), &mut 0, &mut out);
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, path)| path).collect()
}
