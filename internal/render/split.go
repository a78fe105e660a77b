package render

import (
	"strconv"
	"strings"
)

// block is one section of a markdown document as the splitter sees it: a
// head, rows that may be cut between, and a tail. Rows and every piece end
// with a newline.
type block struct {
	head string
	rows []string
	tail string
	// reopen replaces head when the block continues in the next part, e.g.
	// a details element "(continued)" with the table header repeated.
	reopen string
	// cut replaces tail where the block is cut (default: tail), e.g. to
	// close a details element without repeating a hint that follows the
	// table.
	cut string
	// keep moves the whole block to a fresh part rather than cutting it,
	// whenever it fits in one part on its own.
	keep bool
}

func (b block) size() int {
	n := len(b.head) + len(b.tail)
	for _, r := range b.rows {
		n += len(r)
	}
	return n
}

// continued is the note closing a block cut at a part boundary; next is the
// 1-based number of the part it continues in.
func continued(next int) string {
	return "\n_(continued in part " + strconv.Itoa(next) + ")_\n"
}

// maxContinued is the longest continued note the splitter can write.
var maxContinued = len(continued(999999))

// split packs blocks into parts whose bodies stay within budget bytes.
// Blocks are never reordered. A block is cut only between rows, and a block
// marked keep is cut only when it alone exceeds the budget. A single row
// larger than the budget is placed alone in a part (rows are capped by the
// cell truncation in markdown.go, so this does not happen in practice).
func split(blocks []block, budget int) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		parts = append(parts, cur.String())
		cur.Reset()
	}
	for _, b := range blocks {
		size := b.size()
		if cur.Len()+size <= budget {
			writeBlock(&cur, b.head, b.rows, b.tail)
			continue
		}
		if b.keep && size <= budget && cur.Len() > 0 {
			flush()
			writeBlock(&cur, b.head, b.rows, b.tail)
			continue
		}
		head, rows := b.head, b.rows
		for {
			room := budget - cur.Len() - len(head) - max(len(b.tail), len(b.cut))
			if total(rows) <= room || (len(rows) == 0 && cur.Len() == 0) {
				writeBlock(&cur, head, rows, b.tail)
				break
			}
			room -= maxContinued
			k, used := 0, 0
			for k < len(rows) && used+len(rows[k]) <= room {
				used += len(rows[k])
				k++
			}
			if k == 0 && cur.Len() > 0 {
				flush()
				continue
			}
			if k == 0 {
				k = 1 // a row larger than a whole part: it goes alone
			}
			if k >= len(rows) {
				writeBlock(&cur, head, rows, b.tail)
				break
			}
			cut := b.cut
			if cut == "" {
				cut = b.tail
			}
			writeBlock(&cur, head, rows[:k], continued(len(parts)+2)+cut)
			flush()
			head, rows = b.reopen, rows[k:]
		}
	}
	if cur.Len() > 0 || len(parts) == 0 {
		flush()
	}
	return parts
}

func writeBlock(w *strings.Builder, head string, rows []string, tail string) {
	w.WriteString(head)
	for _, r := range rows {
		w.WriteString(r)
	}
	w.WriteString(tail)
}

func total(rows []string) int {
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	return n
}
