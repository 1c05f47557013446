// Package mlog stands in for monis.app/mlog v0.0.2 with the six names the
// Secrets Store CSI driver v1.5.4 uses, over klog (which the driver logs with).
package mlog

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"
)

// LogFormat is how the driver's logs are written (its --log-format-json flag).
type LogFormat string

const (
	FormatText LogFormat = "text"
	FormatJSON LogFormat = "json"
)

// Setup returns what flushes the logs when the driver exits.
func Setup() func() { return klog.Flush }

// ValidateAndSetKlogLevelAndFormatGlobally refuses a level or format mlog would refuse; klog keeps its text format.
func ValidateAndSetKlogLevelAndFormatGlobally(_ context.Context, level klog.Level, format LogFormat) error {
	if level < 0 {
		return fmt.Errorf("invalid log level %d: must be 0 or more", level)
	}
	if format != FormatText && format != FormatJSON {
		return fmt.Errorf("invalid log format %q: must be %q or %q", format, FormatText, FormatJSON)
	}
	return nil
}

// Error logs an error with a message and key-value pairs.
func Error(msg string, err error, keysAndValues ...any) { klog.ErrorS(err, msg, keysAndValues...) }

// Fatal logs the error and exits 1, as mlog does.
func Fatal(err error, keysAndValues ...any) {
	klog.ErrorS(err, "fatal error", keysAndValues...)
	klog.FlushAndExit(klog.ExitFlushTimeout, 1)
}
