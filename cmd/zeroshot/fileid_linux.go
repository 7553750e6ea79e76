package main

import (
	"fmt"
	"os"
	"syscall"
)

// statIdentity is the device, inode and change time of a file.
func statIdentity(st os.FileInfo) string {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d|%d|%d.%d", s.Dev, s.Ino, s.Ctim.Sec, s.Ctim.Nsec)
	}
	return ""
}
