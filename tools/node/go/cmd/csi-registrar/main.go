// csi-registrar registers a CSI driver with the kubelet's plugin watcher: the
// one job of node-driver-registrar, whose every version the Go module proxy
// refuses here. It serves the kubelet's plugin-registration API on
// <registration-dir>/<driver-name>-reg.sock: GetInfo names the driver and its
// endpoint, NotifyRegistrationStatus says whether the kubelet took it.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

type registrar struct {
	registerapi.UnimplementedRegistrationServer
	name, endpoint string
}

func (r *registrar) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	return &registerapi.PluginInfo{Type: registerapi.CSIPlugin, Name: r.name, Endpoint: r.endpoint, SupportedVersions: []string{"1.0.0"}}, nil
}

func (r *registrar) NotifyRegistrationStatus(_ context.Context, status *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if !status.PluginRegistered {
		log.Printf("the kubelet refused %s: %s", r.name, status.Error)
		os.Exit(1)
	}
	log.Printf("the kubelet registered %s at %s", r.name, r.endpoint)
	return &registerapi.RegistrationStatusResponse{}, nil
}

func main() {
	name := flag.String("driver-name", "secrets-store.csi.k8s.io", "the CSI driver's name")
	endpoint := flag.String("csi-address", "/csi/csi.sock", "the driver's CSI socket, as this container sees it")
	kubeletPath := flag.String("kubelet-registration-path", "/var/lib/kubelet/plugins/csi-secrets-store/csi.sock", "the driver's CSI socket, as the kubelet reaches it")
	dir := flag.String("registration-dir", "/var/lib/kubelet/plugins_registry", "the kubelet's plugin registration folder")
	flag.Parse()

	// As node-driver-registrar does, the driver first: the kubelet dials its endpoint as soon as it sees ours.
	for start := time.Now(); ; time.Sleep(500 * time.Millisecond) {
		if _, err := os.Stat(*endpoint); err == nil {
			break
		}
		if time.Since(start) > 2*time.Minute {
			log.Fatalf("the driver's socket %s did not appear within 2 minutes", *endpoint)
		}
	}
	socket := filepath.Join(*dir, *name+"-reg.sock")
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		log.Fatal(err)
	}
	_ = os.Remove(socket) // left by a registrar that was killed
	listener, err := net.Listen("unix", socket)
	if err != nil {
		log.Fatalf("listen on %s: %v", socket, err)
	}
	server := grpc.NewServer()
	registerapi.RegisterRegistrationServer(server, &registrar{name: *name, endpoint: *kubeletPath})
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.Stop()
		_ = os.Remove(socket)
		os.Exit(0)
	}()
	log.Printf("serving registration of %s on %s", *name, socket)
	if err := server.Serve(listener); err != nil {
		log.Fatal(err)
	}
}
