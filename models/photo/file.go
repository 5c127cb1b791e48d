package photo

import (
	"fmt"
	"os"
	"syscall"
)

// ThumbnailFile makes the thumbnail (see Thumbnail) of the photo in f, a file the
// upload wrote. The file is mapped into memory, not read into the heap: the pages
// are the page cache's.
func ThumbnailFile(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("photo file: %w", err)
	}
	if st.Size() == 0 {
		return Thumbnail(nil)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map photo file: %w", err)
	}
	defer syscall.Munmap(data) //nolint:errcheck
	return Thumbnail(data)
}
