// A stand-in for monis.app/mlog, which the Go module proxy refuses (403 for
// every version). The Secrets Store CSI driver v1.5.4 calls only what mlog.go
// defines; tools:lab wires it in with go mod edit -replace.
module monis.app/mlog

go 1.24

require k8s.io/klog/v2 v2.100.1
