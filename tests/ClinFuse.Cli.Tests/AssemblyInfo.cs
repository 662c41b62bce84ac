// The demo test and the info test share libtorch's process-wide seed and thread pool.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
