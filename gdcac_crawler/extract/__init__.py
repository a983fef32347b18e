"""Pure extraction: from saved or live responses to plain values, with no engine and no database."""
