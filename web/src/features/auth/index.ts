export { AuthLayout } from "./AuthLayout";
