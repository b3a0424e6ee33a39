//! `risk` tables through their repositories.
