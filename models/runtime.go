package models

import (
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/safegrid/safegrid/inspect"
)

// RuntimeVersion is the ONNX Runtime release github.com/yalue/onnxruntime_go v1.27.0 is
// built for; the shared library must be this version.
const RuntimeVersion = "1.24.1"

// runtimeState guards ONNX Runtime's environment. The environment is process-global in
// the C library (and in onnxruntime_go), so this is the one piece of package-level state:
// it mirrors something that exists once per process whatever we do.
var runtimeState struct {
	sync.Mutex
	libPath string
}

// InitRuntime loads the ONNX Runtime shared library at libPath and creates the runtime's
// environment. It is idempotent and safe to call from several goroutines: once the runtime
// is loaded, later calls with the same path return nil, and calls with another path return
// an error (a process can hold only one runtime).
func InitRuntime(libPath string) error {
	runtimeState.Lock()
	defer runtimeState.Unlock()
	if ort.IsInitialized() {
		if runtimeState.libPath != "" && runtimeState.libPath != libPath {
			return inspect.Errorf(inspect.ECONFLICT, "ONNX Runtime is already loaded from %s; cannot load %s too", runtimeState.libPath, libPath)
		}
		return nil
	}
	if libPath == "" {
		return inspect.Errorf(inspect.EINVALID, "no ONNX Runtime library given (set SAFEGRID_ORT_LIB to libonnxruntime.so.1 of ONNX Runtime %s)", RuntimeVersion)
	}
	if _, err := os.Stat(libPath); err != nil {
		return inspect.Errorf(inspect.EUNAVAILABLE, "ONNX Runtime library %s is missing (ONNX Runtime %s, from npm onnxruntime-node@%s bin/napi-v6/linux/x64/): %s", libPath, RuntimeVersion, RuntimeVersion, err)
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("load ONNX Runtime from %s: %w", libPath, err)
	}
	runtimeState.libPath = libPath
	return nil
}

// RuntimeLoaded reports whether InitRuntime has loaded the ONNX Runtime.
func RuntimeLoaded() bool {
	runtimeState.Lock()
	defer runtimeState.Unlock()
	return ort.IsInitialized()
}
