package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/wardenhq/warden/bench/loadgen"
)

func main() {
	p, _ := strconv.Atoi(os.Args[1])
	runtime.GOMAXPROCS(p)
	for i := 0; i < 3; i++ {
		r := loadgen.Run(context.Background(), loadgen.Config{Rate: 1000, Warmup: time.Second, Duration: 3 * time.Second}, func(ctx context.Context) (int, error) { return 200, nil })
		fmt.Printf("procs %d lag p50 %v p90 %v p99 %v p999 %v max %v\n", p, r.Lag.P50, r.Lag.P90, r.Lag.P99, r.Lag.P999, r.Lag.Max)
	}
}
