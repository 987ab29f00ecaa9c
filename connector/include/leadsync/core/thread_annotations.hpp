#pragma once
// Clang's thread-safety attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html, the
// mutex.h macro set). With clang and -Wthread-safety (LEADSYNC_THREAD_SAFETY_ANALYSIS, on by
// default with clang) the compiler checks at compile time that a GUARDED_BY member is touched only
// with its mutex held; with other compilers every macro expands to nothing.
//
// The annotated lock types are in core/mutex.hpp: libstdc++'s std::mutex carries no attributes, so
// the analysis sees only leadsync::Mutex, MutexLock, UniqueLock and SharedMutex.

#if defined(__clang__)
#define LEADSYNC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LEADSYNC_THREAD_ANNOTATION(x) // not checked outside clang
#endif

// A class whose objects are capabilities (mutexes).
#define CAPABILITY(x) LEADSYNC_THREAD_ANNOTATION(capability(x))
// An RAII class that acquires a capability in its constructor and releases it in its destructor.
#define SCOPED_CAPABILITY LEADSYNC_THREAD_ANNOTATION(scoped_lockable)

// A data member readable and writable only with the capability held.
#define GUARDED_BY(x) LEADSYNC_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee (not the pointer) is guarded by the capability.
#define PT_GUARDED_BY(x) LEADSYNC_THREAD_ANNOTATION(pt_guarded_by(x))

// Lock order between capabilities.
#define ACQUIRED_BEFORE(...) LEADSYNC_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) LEADSYNC_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))

// A function that must be called with the capability held (exclusively, or at least shared).
#define REQUIRES(...) LEADSYNC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) LEADSYNC_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))

// A function that acquires or releases the capability (no argument: `this`).
#define ACQUIRE(...) LEADSYNC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) LEADSYNC_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) LEADSYNC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) LEADSYNC_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) LEADSYNC_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
// A function that tries to acquire; the first argument is the return value meaning success.
#define TRY_ACQUIRE(...) LEADSYNC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define TRY_ACQUIRE_SHARED(...)                                                                    \
  LEADSYNC_THREAD_ANNOTATION(try_acquire_shared_capability(__VA_ARGS__))

// A function that must be called without the capability held (it takes it itself).
#define EXCLUDES(...) LEADSYNC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// A function that checks at run time that the capability is held; the analysis then assumes it.
#define ASSERT_CAPABILITY(x) LEADSYNC_THREAD_ANNOTATION(assert_capability(x))
#define ASSERT_SHARED_CAPABILITY(x) LEADSYNC_THREAD_ANNOTATION(assert_shared_capability(x))

// A function returning a reference to the capability (a getter for a mutex).
#define RETURN_CAPABILITY(x) LEADSYNC_THREAD_ANNOTATION(lock_returned(x))

// Turns the analysis off for one function: for locking the analysis cannot follow. Say why next to
// each use.
#define NO_THREAD_SAFETY_ANALYSIS LEADSYNC_THREAD_ANNOTATION(no_thread_safety_analysis)
