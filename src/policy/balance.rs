//! DRS load balancing decisions (issue 3, in progress).
