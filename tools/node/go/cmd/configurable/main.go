// configurable stands in for the lab's app, sixeyed/configurable, which cannot
// be pulled here: a server on each URL in ASPNETCORE_URLS (as the ASP.NET app
// reads them; https:// ones from the PEM certificate and key Kestrel's
// Certificates:Default:Path and :KeyPath name) whose page shows the
// configuration it finds under /app/secrets: each JSON file's settings, each
// other file's text.
package main

import (
	"encoding/json"
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

const secrets = "/app/secrets"

// flatten turns nested JSON into "a:b:c = value" settings, as ASP.NET configuration names them.
func flatten(prefix string, value any, out map[string]string) {
	switch v := value.(type) {
	case map[string]any:
		for key, inner := range v {
			name := key
			if prefix != "" {
				name = prefix + ":" + key
			}
			flatten(name, inner, out)
		}
	case []any:
		for i, inner := range v {
			flatten(fmt.Sprintf("%s:%d", prefix, i), inner, out)
		}
	default:
		out[prefix] = fmt.Sprint(v)
	}
}

func page(w http.ResponseWriter, _ *http.Request) {
	settings := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(secrets, "*"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue // a folder, or the driver's ..data links
		}
		var parsed any
		if strings.HasSuffix(file, ".json") && json.Unmarshal(data, &parsed) == nil {
			flatten("", parsed, settings)
		} else {
			settings[filepath.Base(file)] = string(data)
		}
	}
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>Configurable</title></head><body><h1>Config</h1><table>")
	for _, name := range names {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>", html.EscapeString(name), html.EscapeString(settings[name]))
	}
	b.WriteString("</table></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func main() {
	urls := os.Getenv("ASPNETCORE_URLS")
	if urls == "" {
		urls = "http://+:80"
	}
	http.HandleFunc("/", page)
	failed := make(chan error)
	for _, url := range strings.Split(urls, ";") {
		address := ":" + url[strings.LastIndex(url, ":")+1:]
		if strings.HasPrefix(url, "https://") {
			// As Kestrel does: the certificate file may hold the key too, and LoadX509KeyPair skips the other blocks.
			cert := os.Getenv("ASPNETCORE_Kestrel__Certificates__Default__Path")
			key := os.Getenv("ASPNETCORE_Kestrel__Certificates__Default__KeyPath")
			log.Printf("configurable stand-in on %s (HTTPS from %s), reading %s", address, cert, secrets)
			go func() { failed <- http.ListenAndServeTLS(address, cert, key, nil) }()
		} else {
			log.Printf("configurable stand-in on %s, reading %s", address, secrets)
			go func() { failed <- http.ListenAndServe(address, nil) }()
		}
	}
	// As ASP.NET does on SIGTERM: stop. As PID 1 without a handler the signal would be ignored, and every
	// pod would hold its rollout or its namespace's deletion for the whole 30 s grace period.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	select {
	case err := <-failed:
		log.Fatal(err)
	case sig := <-stop:
		log.Printf("configurable stand-in: %s, stopping", sig)
	}
}
