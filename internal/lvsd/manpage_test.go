package lvsd

import (
	"testing"

	"lvskit/internal/mancheck"
)

// man/lvsd.8 follows the convention of internal/mancheck: options on tag
// lines under OPTIONS.
const manPage = "../../man/lvsd.8"

// Every flag of lvsd, and each alias, has an entry in lvsd(8), and the
// page documents no option lvsd does not have.
func TestManPageDocumentsEveryFlag(t *testing.T) {
	mancheck.Flags(t, manPage, "lvsd", (&Env{}).command().AllFlags())
}

func TestManPageRendersCleanly(t *testing.T) { mancheck.Renders(t, manPage) }
