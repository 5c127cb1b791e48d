package inspect

// pageLimit checks a list's page size: 0 asks for def, anything else must be 1
// to max.
func pageLimit(limit *int, def, max int) error {
	switch {
	case *limit == 0:
		*limit = def
	case *limit < 0 || *limit > max:
		return FieldErrorf("limit", "must be 1 to %d", max)
	}
	return nil
}
