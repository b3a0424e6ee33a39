//! `hr` tables through their repositories.
