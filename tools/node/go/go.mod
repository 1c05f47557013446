// The lab's own small programs (npm run tools:lab builds them): the CSI
// plugin registrar, the pod sandbox's pause and a stand-in for the lab's app.
module akskv.local/lab

go 1.26

require (
	google.golang.org/grpc v1.72.1
	k8s.io/kubelet v0.34.4
)
