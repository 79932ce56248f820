// Manifest
