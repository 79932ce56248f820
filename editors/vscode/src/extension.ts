// Starts `slipway serve` for YAML documents; the server answers only for Slipway manifests, so other YAML
// files get nothing from it. The commands the server offers are registered by the client itself
// (executeCommandProvider), so they need no code here.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("slipway").get<string>("path", "slipway");
  const serverOptions: ServerOptions = { command, args: ["serve"], transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{onnx,tflite,safetensors,gguf,slipway.yaml,slipway.yml}"),
    },
  };
  client = new LanguageClient("slipway", "Slipway", serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
