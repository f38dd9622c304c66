//! The edge-case data: a few books, films, organizations and members, fixed (scale-independent).

use super::{books::BookFormat, people::Role};

/// `id`, `isbn`, `title`, `pages`, `format`, weight in grams, list price in cents.
pub(crate) struct BookRow {
    pub(crate) id: &'static str,
    pub(crate) isbn: &'static str,
    pub(crate) title: &'static str,
    pub(crate) pages: i32,
    pub(crate) format: BookFormat,
    pub(crate) grams: f64,
    pub(crate) list_price: i32,
}

pub(crate) const BOOKS: [BookRow; 4] = [
    BookRow {
        id: "book-1",
        isbn: "978-0131103627",
        title: "The C Programming Language",
        pages: 272,
        format: BookFormat::Paperback,
        grams: 400.0,
        list_price: 4599,
    },
    BookRow {
        id: "book-2",
        isbn: "978-0262033848",
        title: "Introduction to Algorithms",
        pages: 1312,
        format: BookFormat::Hardcover,
        grams: 2200.0,
        list_price: 9900,
    },
    BookRow {
        id: "book-3",
        isbn: "978-0201633610",
        title: "Design Patterns",
        pages: 395,
        format: BookFormat::Hardcover,
        grams: 950.0,
        list_price: 5499,
    },
    BookRow {
        id: "book-4",
        isbn: "978-1593278281",
        title: "The Rust Programming Language",
        pages: 560,
        format: BookFormat::Ebook,
        grams: 0.0,
        list_price: 3999,
    },
];

/// `id`, `title`, minutes, director, year.
pub(crate) const MOVIES: [(&str, &str, i32, &str, i32); 3] = [
    ("movie-1", "Hackers", 105, "Iain Softley", 1995),
    ("movie-2", "WarGames", 114, "John Badham", 1983),
    ("movie-3", "Sneakers", 126, "Phil Alden Robinson", 1992),
];

/// `id`, `title`, minutes, series, number.
pub(crate) const EPISODES: [(&str, &str, i32, &str, i32); 2] =
    [("episode-1", "I/O", 47, "Halt and Catch Fire", 1), ("episode-2", "FUD", 47, "Halt and Catch Fire", 2)];

/// `id`, `name`.
pub(crate) const ORGANIZATIONS: [(&str, &str); 2] = [("org-1", "Acme Library"), ("org-2", "Globex Archive")];

/// `id`, organization id, name, role, favourite media ids. Member ids repeat across
/// organizations: only `id` and `organization { id }` together identify a member.
pub(crate) const MEMBERS: [(&str, &str, &str, Role, &[&str]); 4] = [
    ("1", "org-1", "Ada", Role::Librarian, &["book-1", "movie-2"]),
    ("2", "org-1", "Brian", Role::Reader, &["movie-1"]),
    ("1", "org-2", "Carla", Role::Reader, &["book-3", "book-4", "movie-3"]),
    ("2", "org-2", "Dmitri", Role::Librarian, &[]),
];

/// Ratings (1-5) by media id (videos) or isbn (books).
pub(crate) const RATINGS: [(&str, &[i32]); 8] = [
    ("movie-1", &[5, 4, 5]),
    ("movie-2", &[4, 4]),
    ("movie-3", &[3]),
    ("episode-1", &[5, 5, 4, 5]),
    ("978-0131103627", &[5, 5, 4]),
    ("978-0262033848", &[4]),
    ("978-0201633610", &[4, 3]),
    ("episode-2", &[]),
];

pub(crate) fn book_by_id(id: &str) -> Option<&'static BookRow> {
    BOOKS.iter().find(|book| book.id == id)
}

pub(crate) fn book_by_isbn(isbn: &str) -> Option<&'static BookRow> {
    BOOKS.iter().find(|book| book.isbn == isbn)
}
