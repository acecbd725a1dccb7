package admin

// Errorf returns an error whose message is exactly the formatted text and
// which matches kind with errors.Is (kind is one of this package's
// sentinels). A Backend uses it for messages meant for the client, with
// no "bad request: " in front: Errorf(ErrBadRequest, "layout version %d
// is not the next one", v).
func Errorf(kind error, format string, args ...any) error {
	return newError(kind, format, args...)
}
