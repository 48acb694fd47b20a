package sanitizer

// panicTitles maps the model's assertions of the SS_NOFDREF lifecycle (DragonFly's panic
// messages) to the use-after-soclose oracle's titles, so that the assertion and the event
// check of the same bug share a title.
var panicTitles = map[string]string{
	"soclose: NOFDREF":   titleNofdrefTwice,
	"soaccept: !NOFDREF": titleAcceptNoNofdref,
}

// ClassifyPanic is the model's oracle.PanicClassifier.
func ClassifyPanic(line string) (oracle, title string, ok bool) {
	if t, ok := panicTitles[line]; ok {
		return UseAfterSoclose, t, true
	}
	return "", "", false
}
