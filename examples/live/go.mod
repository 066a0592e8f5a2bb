module github.com/tetrahids/tetrahids/examples/live

go 1.26.0

replace github.com/tetrahids/tetrahids => ../..

require github.com/fsnotify/fsnotify v1.10.1

require golang.org/x/sys v0.13.0 // indirect
