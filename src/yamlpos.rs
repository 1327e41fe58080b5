//! Finds the source position of a node of a YAML document, given its path.
//!
//! furrow deserializes YAML with serde_yaml, which keeps no spans; when a semantic
//! error is found (an unknown key, a bad type name…) this module re-reads the text
//! with yaml-rust2's event parser, which reports markers, to point at the line.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// A key of a mapping, compared with the key's scalar string value.
    Key(String),
    /// A 0-based index into a sequence.
    Index(usize),
}

/// 1-based (line, column) of the node at `path` in the first document of `text`; for a path whose
/// last segment is a Key, the position of that key scalar itself (so "unknown key `filname`"
/// points at the key). None when the path does not exist or the text does not parse.
pub fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let root = load_first_document(text)?;
    let mut node = &root;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match (&node.kind, seg) {
            (NodeKind::Map(entries), Seg::Key(k)) => {
                let (key, value) = entries
                    .iter()
                    .find(|(key, _)| matches!(&key.kind, NodeKind::Scalar(s) if s == k))?;
                if last {
                    return Some(key.pos);
                }
                node = value;
            }
            (NodeKind::Seq(items), Seg::Index(n)) => node = items.get(*n)?,
            _ => return None,
        }
    }
    match node.kind {
        NodeKind::Alias => None,
        _ => Some(node.pos),
    }
}

/// Parses a path written like `development.migrations.directory` or
/// `up[2].create_table.columns[1]` into segments (convenience for callers and tests).
/// A bracketed part that is not a number is taken as a key (`a[b.c]` → `a`, `b.c`).
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                match inner.trim().parse::<usize>() {
                    Ok(n) => segs.push(Seg::Index(n)),
                    Err(_) => segs.push(Seg::Key(inner)),
                }
            }
            _ => key.push(c),
        }
    }
    if !key.is_empty() {
        segs.push(Seg::Key(key));
    }
    segs
}

/// A node of the document, with its 1-based (line, column).
struct Node {
    pos: (usize, usize),
    /// Byte index of `pos`, to order a block mapping's start against its first key.
    index: usize,
    kind: NodeKind,
}

enum NodeKind {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Alias,
}

/// A container being built (explicit stack: no recursion, so deep input cannot overflow).
enum Frame {
    Seq(Node),
    Map(Node, Option<Node>),
}

fn node_at(m: Marker, kind: NodeKind) -> Node {
    Node {
        pos: (m.line(), m.col() + 1),
        index: m.index(),
        kind,
    }
}

/// Builds the tree of the first document; None on any parse error in the text.
fn load_first_document(text: &str) -> Option<Node> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let (event, mark) = parser.next_token().ok()?;
        let finished = match event {
            Event::StreamEnd => break,
            Event::Scalar(value, ..) => Some(node_at(mark, NodeKind::Scalar(value))),
            Event::Alias(_) => Some(node_at(mark, NodeKind::Alias)),
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(node_at(mark, NodeKind::Seq(Vec::new()))));
                None
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(node_at(mark, NodeKind::Map(Vec::new())), None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(node)) => Some(node),
                Some(Frame::Map(mut node, _)) => {
                    // A block mapping's start marker lies after its first key: point at the key.
                    let first = match &node.kind {
                        NodeKind::Map(entries) => entries.first().map(|(k, _)| (k.pos, k.index)),
                        _ => None,
                    };
                    if let Some((pos, index)) = first {
                        if index < node.index {
                            node.pos = pos;
                            node.index = index;
                        }
                    }
                    Some(node)
                }
                None => return None,
            },
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
        };
        let Some(node) = finished else { continue };
        match stack.last_mut() {
            None => {
                // Keep the first document; later ones are only parsed (to report bad YAML).
                if root.is_none() {
                    root = Some(node);
                }
            }
            Some(Frame::Seq(seq)) => {
                if let NodeKind::Seq(items) = &mut seq.kind {
                    items.push(node);
                }
            }
            Some(Frame::Map(map, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let NodeKind::Map(entries) = &mut map.kind {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &str) -> Option<(usize, usize)> {
        locate(text, &parse_path(path))
    }

    const MIGRATION: &str = "\
up:
  - create_table:
      name: accounts
      columns:
        - { name: id, type: increments }
        - { name: name, type: string, length: 50, nullable: false }
        - {name: \"description\", 'type': string}
  - insert:                       # seeding
      table: accounts
      rows:
        - { id: 1, name: John Smith, description: CEO }
# down: optional
transaction: true
";

    #[test]
    fn parse_path_forms() {
        use Seg::*;
        assert_eq!(
            parse_path("development.migrations.directory"),
            vec![
                Key("development".into()),
                Key("migrations".into()),
                Key("directory".into())
            ]
        );
        assert_eq!(
            parse_path("up[2].create_table.columns[1]"),
            vec![
                Key("up".into()),
                Index(2),
                Key("create_table".into()),
                Key("columns".into()),
                Index(1)
            ]
        );
        assert_eq!(
            parse_path("[0].rows[10][3]"),
            vec![Index(0), Key("rows".into()), Index(10), Index(3)]
        );
        assert_eq!(
            parse_path("a[b.c]"),
            vec![Key("a".into()), Key("b.c".into())]
        );
        assert_eq!(parse_path(""), vec![]);
    }

    #[test]
    fn nested_block_maps() {
        let text = "\
development:
  client: sqlite3
  migrations:
    directory: ./migrations
    tableName: knex_migrations
production:
  client: mysql
";
        assert_eq!(at(text, "development"), Some((1, 1)));
        assert_eq!(at(text, "development.migrations"), Some((3, 3)));
        assert_eq!(at(text, "development.migrations.directory"), Some((4, 5)));
        assert_eq!(at(text, "development.migrations.tableName"), Some((5, 5)));
        assert_eq!(at(text, "production.client"), Some((7, 3)));
        // The root node, and a block mapping as a whole (its first key).
        assert_eq!(at(text, ""), Some((1, 1)));
        assert_eq!(
            locate(
                text,
                &[
                    Seg::Key("development".into()),
                    Seg::Key("migrations".into())
                ]
            ),
            Some((3, 3))
        );
    }

    #[test]
    fn list_of_one_key_maps() {
        assert_eq!(at(MIGRATION, "up"), Some((1, 1)));
        // The list item itself: a block mapping, located at its key.
        assert_eq!(at(MIGRATION, "up[0]"), Some((2, 5)));
        assert_eq!(at(MIGRATION, "up[0].create_table"), Some((2, 5)));
        assert_eq!(at(MIGRATION, "up[0].create_table.name"), Some((3, 7)));
        assert_eq!(at(MIGRATION, "up[1].insert"), Some((8, 5)));
        assert_eq!(at(MIGRATION, "up[1].insert.rows"), Some((10, 7)));
        assert_eq!(at(MIGRATION, "transaction"), Some((13, 1)));
    }

    #[test]
    fn lists_of_flow_maps() {
        // A flow mapping as a whole: its `{`.
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[0]"),
            Some((5, 11))
        );
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[2]"),
            Some((7, 11))
        );
        assert_eq!(at(MIGRATION, "up[1].insert.rows[0]"), Some((11, 11)));
    }

    #[test]
    fn key_in_flow_map_on_shared_line() {
        // `        - { name: name, type: string, length: 50, nullable: false }`
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[1].name"),
            Some((6, 13))
        );
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[1].type"),
            Some((6, 25))
        );
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[1].length"),
            Some((6, 39))
        );
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[1].nullable"),
            Some((6, 51))
        );
        // Quoted keys are compared by value; the position is the opening quote.
        assert_eq!(
            at(MIGRATION, "up[0].create_table.columns[2].type"),
            Some((7, 33))
        );
        assert_eq!(
            at(MIGRATION, "up[1].insert.rows[0].description"),
            Some((11, 38))
        );
    }

    #[test]
    fn index_of_scalars_and_flow_seq() {
        let text = "key: [id, name]\nlist:\n  - a\n  -   b\n";
        assert_eq!(at(text, "key"), Some((1, 1)));
        assert_eq!(at(text, "key[1]"), Some((1, 11)));
        assert_eq!(at(text, "list[1]"), Some((4, 7)));
        assert_eq!(at(text, "list[2]"), None);
    }

    #[test]
    fn top_level_list_of_blocks() {
        let text = "- table: a\n  rows: []\n- table: b\n  rows:\n    - {id: 1}\n";
        assert_eq!(at(text, "[1].rows[0].id"), Some((5, 8)));
        assert_eq!(at(text, "[1].table"), Some((3, 3)));
        assert_eq!(at(text, "[0].rows"), Some((2, 3)));
    }

    #[test]
    fn missing_paths() {
        assert_eq!(at(MIGRATION, "down"), None);
        assert_eq!(at(MIGRATION, "up[7]"), None);
        assert_eq!(at(MIGRATION, "up[0].drop_table"), None);
        // Wrong shape: a key into a list, an index into a map or a scalar.
        assert_eq!(at(MIGRATION, "up.create_table"), None);
        assert_eq!(at(MIGRATION, "transaction[0]"), None);
        assert_eq!(at(MIGRATION, "up[0].create_table.name.x"), None);
        assert_eq!(locate("", &[Seg::Key("a".into())]), None);
    }

    #[test]
    fn invalid_yaml() {
        assert_eq!(at("a: [1, 2\nb: 3\n", "a"), None);
        assert_eq!(at("a: b: c\n", "a"), None);
        assert_eq!(at("a:\n  - x\n  y: 1\n", "a"), None);
    }

    #[test]
    fn aliases_are_not_followed() {
        let text = "base: &b\n  x: 1\nother: *b\nlist:\n  - &s foo\n  - *s\n";
        assert_eq!(at(text, "base.x"), Some((2, 3)));
        assert_eq!(at(text, "other"), Some((3, 1)));
        assert_eq!(at(text, "other.x"), None);
        assert_eq!(at(text, "list[0]"), Some((5, 8)));
        assert_eq!(at(text, "list[1]"), None);
    }

    #[test]
    fn first_document_only() {
        let text = "---\na: 1\n---\nb: 2\n";
        assert_eq!(at(text, "a"), Some((2, 1)));
        assert_eq!(at(text, "b"), None);
    }

    #[test]
    fn crlf_and_non_ascii() {
        let text = "a:\r\n  b: 1\r\n  é: { x: 1, ü: 2 }\r\n";
        assert_eq!(at(text, "a.b"), Some((2, 3)));
        assert_eq!(at(text, "a.é"), Some((3, 3)));
        // Columns count characters, not bytes.
        assert_eq!(at(text, "a.é.ü"), Some((3, 14)));
    }
}
